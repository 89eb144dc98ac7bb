"""``POST /v1/chat/completions`` and ``GET /v1/models``, as OpenAI's API shapes them, so any OpenAI
client or chat front end can talk to the corpus.

The last user message is the question; earlier user/assistant pairs are the history (system
messages are ignored: the service's own prompt governs). The reply's ``content`` is the checked
answer with its ``[n]`` markers (or the refusal); extra top-level fields carry ``citations`` (the
CLI's JSON form: doc_id, section, offsets, quote, and the page for PDFs) and ``refused``. With
``stream: true`` each checked sentence is one ``chat.completion.chunk``; the last chunk has
``finish_reason: "stop"`` and the citations, then ``data: [DONE]``. Shortcut: sampling options
(temperature, max_tokens, n...) are accepted and ignored; the model is the server's.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from rag.errors import InputError, RagError

from . import schemas

router = APIRouter(tags=["openai-compatible"])
MODEL_ID = "rag-news"


def _text(message: schemas.ChatMessage) -> str:
    if isinstance(message.content, list):  # content parts: keep the text ones
        return "".join(p.get("text", "") for p in message.content if isinstance(p, dict))
    return message.content or ""


def split_messages(messages: list[schemas.ChatMessage]):
    """(question, history) from an OpenAI message list."""
    from rag.answering import Turn

    talk = [m for m in messages if m.role in ("user", "assistant")]
    if not talk or talk[-1].role != "user" or not _text(talk[-1]).strip():
        raise InputError("the last message must be a user message with text", hint="end messages with {'role': 'user', ...}")
    history, pending = [], None
    for m in talk[:-1]:
        if m.role == "user":
            pending = _text(m)
        elif pending is not None:
            history.append(Turn(pending, _text(m)))
            pending = None
    return _text(talk[-1]).strip(), history


def _usage(answer) -> dict:
    prompt = sum(r.get("prompt_tokens") or 0 for r in answer.usage)
    completion = sum(r.get("generated_tokens") or 0 for r in answer.usage)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@router.get("/v1/models")
def models():
    return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag-news"}]}


@router.post("/v1/chat/completions")
def chat_completions(body: schemas.ChatCompletionRequest, request: Request):
    question, history = split_messages(body.messages)
    chain = request.app.state.service.chain()
    docs = tuple(body.doc_ids or ())
    cid, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    if body.stream:
        events = chain.stream(question, history, docs)
        first = next(events)  # a bad question or store fails here, as a plain JSON error
        return EventSourceResponse(_chunks(cid, created, first, events), ping=15)
    answer = chain.invoke(question, history, docs)
    return JSONResponse({
        "id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text}, "finish_reason": "stop"}],
        "usage": _usage(answer),
        "citations": [c.to_dict() for c in answer.citations],
        "refused": answer.refused,
    })


def _chunks(cid: str, created: int, first, events):
    from rag.answering.events import Done, Sentence, Translated

    def chunk(delta: dict, finish: str | None = None, **extra) -> dict:
        body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return {"data": json.dumps(body, ensure_ascii=False)}

    yield chunk({"role": "assistant", "content": ""})
    sent, translated = "", False
    try:
        for event in itertools.chain([first], events):
            translated = translated or isinstance(event, Translated)  # sentences come in the sources' language
            if isinstance(event, Sentence) and not translated:
                sent += event.text
                yield chunk({"content": event.text})
            elif isinstance(event, Done):
                answer = event.answer
                rest = answer.text[len(sent):] if answer.text.startswith(sent) else ("" if sent else answer.text)
                if rest:
                    yield chunk({"content": rest})
                yield chunk({}, "stop", citations=[c.to_dict() for c in answer.citations], refused=answer.refused,
                            usage=_usage(answer))
    except RagError as err:
        yield {"data": json.dumps({"error": {"message": err.message, "hint": err.hint, "type": "error"}}, ensure_ascii=False)}
    finally:
        events.close()
    yield {"data": "[DONE]"}
