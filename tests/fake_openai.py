"""A fake OpenAI-compatible server for tests (no internet, no model).

``with fake_openai_server() as server:`` runs a FastAPI app under uvicorn in a
background thread on 127.0.0.1 (free port) and yields a ``FakeOpenAI`` with
``.base_url`` (ends in ``/v1``), ``.requests`` (JSON bodies received, in order), and
settable ``.mode`` / ``.reply``:

- ``ok``        chat completions answer ``.reply`` (JSON, or SSE chunks when ``stream``)
- ``error500``  every POST answers HTTP 500 with an OpenAI-style error body
- ``slow``      sleeps ``.slow_seconds`` (3 s) before answering; use a client timeout < 1 s
- ``malformed`` 200 with ``.malformed_body`` (default: JSON with ``"choices": null``;
                served as text/html if it starts with ``<``); SSE: a non-JSON event

``POST /v1/embeddings`` returns deterministic unit vectors (dim 384) seeded by a hash
of each input string (``encoding_format`` float or base64). ``GET /v1/models`` lists
one model. Shortcut: token lists as embedding input are not supported.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse

EMBED_DIM = 384


@dataclass
class FakeOpenAI:
    base_url: str = ""
    mode: str = "ok"
    reply: str = "北京是中国的首都。[1]"
    slow_seconds: float = 3.0
    chunk_chars: int = 3
    malformed_body: str = '{"object": "chat.completion", "choices": null}'
    requests: list[dict] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)  # the Authorization header of each chat request


def fake_embedding(text: str, dim: int = EMBED_DIM) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
    vec = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return vec / np.linalg.norm(vec)


def _completion(model: str, text: str) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": len(text),
            "total_tokens": 10 + len(text),
        },
    }


def _sse_chunks(model: str, text: str, size: int) -> Iterator[str]:
    def event(delta: dict, finish: str | None) -> str:
        chunk = {
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""}, None)
    for i in range(0, len(text), size):
        yield event({"content": text[i : i + size]}, None)
    yield event({}, "stop")
    yield "data: [DONE]\n\n"


def make_app(state: FakeOpenAI) -> FastAPI:
    app = FastAPI()

    async def misbehave() -> JSONResponse | None:
        if state.mode == "error500":
            error = {"message": "fake internal error", "type": "server_error", "code": None}
            return JSONResponse({"error": error}, status_code=500)
        if state.mode == "slow":
            await asyncio.sleep(state.slow_seconds)
        return None

    @app.post("/v1/chat/completions")
    async def chat(request: Request):
        body = await request.json()
        state.requests.append(body)
        state.authorizations.append(request.headers.get("authorization"))
        if (bad := await misbehave()) is not None:
            return bad
        model = body.get("model", "fake-model")
        if body.get("stream"):
            if state.mode == "malformed":
                chunks: Iterator[str] = iter(["data: this is not json\n\n", "data: [DONE]\n\n"])
            else:
                chunks = _sse_chunks(model, state.reply, state.chunk_chars)
            return StreamingResponse(chunks, media_type="text/event-stream")
        if state.mode == "malformed":
            html = state.malformed_body.startswith("<")
            media_type = "text/html" if html else "application/json"
            return PlainTextResponse(state.malformed_body, media_type=media_type)
        return JSONResponse(_completion(model, state.reply))

    @app.post("/v1/embeddings")
    async def embeddings(request: Request):
        body = await request.json()
        state.requests.append(body)
        if (bad := await misbehave()) is not None:
            return bad
        texts = [body["input"]] if isinstance(body["input"], str) else body["input"]
        data = []
        for i, text in enumerate(texts):
            vec = fake_embedding(text)
            if body.get("encoding_format") == "base64":
                value: object = base64.b64encode(vec.astype("<f4").tobytes()).decode()
            else:
                value = vec.tolist()
            data.append({"object": "embedding", "index": i, "embedding": value})
        usage = {"prompt_tokens": 0, "total_tokens": 0}
        return {"object": "list", "data": data, "model": body.get("model"), "usage": usage}

    @app.get("/v1/models")
    async def models():
        model = {"id": "fake-model", "object": "model", "created": 0, "owned_by": "tests"}
        return {"object": "list", "data": [model]}

    return app


@contextlib.contextmanager
def fake_openai_server(**state: object) -> Iterator[FakeOpenAI]:
    """Run the fake server for the duration of the ``with`` block (or a pytest fixture)."""
    fake = FakeOpenAI(**state)  # type: ignore[arg-type]
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    fake.base_url = f"http://127.0.0.1:{port}/v1"
    config = uvicorn.Config(make_app(fake), log_level="warning", timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("fake OpenAI server did not start")
        time.sleep(0.01)
    try:
        yield fake
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()
