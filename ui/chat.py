"""The Chat tab's logic: streaming answers, source cards, follow-ups, examples, copy.

A session's conversation is a list of *turns* in ``gr.State``:
``{"question": str, "answer": Answer.to_dict() without model calls}`` or
``{"question": str, "error": {"message", "hint"}}``. The chatbot messages and the
source panel are always re-rendered from the turns, so each answer's ``[n]`` links
point at that answer's cards: the newest answer's cards are ``#src-n``, turn ``i``'s
older cards are ``#src-i-n`` (folded under "earlier answers").

``respond()`` is a generator: the user's message and a "searching" bubble first, the
retrieved passages as soon as they are known, the raw tokens while the model writes
(marked as unchecked), and finally the checked answer or refusal. Errors end the
turn with a readable message and a toast; the conversation goes on.

A session keeps its newest ``RAG_MAX_HISTORY_TURNS`` turns. Shortcuts: failed turns are not
part of the history the model sees; example questions
are curated for the bundled article (by document id) and made from section headings
for other documents.
"""

from __future__ import annotations

import re

import gradio as gr

from rag.answering.events import Done, Draft, Queued, Retry, Rewritten, Sentence, SourcesFound, Translated
from rag.errors import StoreError

from .context import AppContext, Problem, problem
from .i18n import lang_of, msg
from .render import answer_html, cards_html, debug_table, error_html, esc, plain_answer, streaming_html

# Curated examples for the bundled article (by document id); other documents get
# questions made from their section headings.
CURATED = {
    "000_d11b5f0043a94887": [
        "化辛小区是哪两个村的回迁安置小区?",
        "截至3月19日,全区有多少名退役军人加入了志愿先锋队?",
        "廊坊开发区党工委副书记、管委主任是谁?",
        "廊坊开发区疫情防控领导小组的组织架构是怎样的?",
        "Which two villages is the Huaxin community a resettlement community for?",
    ]
}


def example_questions(ctx: AppContext, limit: int = 6) -> list[str]:
    try:
        docs = ctx.store.list_documents()
    except Exception:  # noqa: BLE001 - no examples is fine; the chat shows the real error
        return []
    out: list[str] = []
    for d in docs:
        if d["doc_id"] in CURATED:
            out += CURATED[d["doc_id"]]
            continue
        doc = ctx.store.get_document(d["doc_id"])
        heads = [s.path[-1] for s in (doc.sections if doc else []) if s.path]
        for h in heads[:2]:
            h = re.sub(r"\s+", " ", h).strip()
            out.append(f"“{h}”讲了什么?" if re.search(r"[\u4e00-\u9fff]", h) else f"What does “{h}” say?")
    return list(dict.fromkeys(out))[:limit]


def _prefix(i: int, total: int) -> str:
    return "src-" if i == total else f"src-{i}-"


def render_messages(turns: list[dict], lang: str, total: int | None = None) -> list[dict]:
    total = len(turns) if total is None else total
    messages = []
    for i, t in enumerate(turns, 1):
        messages.append({"role": "user", "content": t["question"]})
        if "error" in t:
            content = error_html(t["error"]["message"], lang, t["error"].get("hint"))
        else:
            content = answer_html(t["answer"], lang, _prefix(i, total))
        messages.append({"role": "assistant", "content": content})
    return messages


def render_sources(turns: list[dict], lang: str, live: dict | None = None) -> str:
    """The source panel: the newest answer's cards, earlier answers' cards folded."""
    total = len(turns) + (1 if live is not None else 0)
    if live is not None:
        current = live
    elif turns:
        current = turns[-1].get("answer") or {"contexts": turns[-1].get("contexts", []), "citations": []}
    else:
        current = None
    parts = []
    if current and current.get("warning"):
        parts.append(f'<div class="store-warning">⚠ {esc(current["warning"])}</div>')
    if current and current.get("contexts"):
        parts.append(cards_html(current["contexts"], current.get("citations", []), lang, "src-", current.get("best", ())))
    elif live is None:
        parts.append(f'<div class="sources-empty">{esc(msg("sources_empty", lang))}</div>')
    older = turns if live is not None else turns[:-1]
    earlier = [
        f'<div class="turn-label">{i}. {esc(t["question"])}</div>'
        + cards_html(t["answer"]["contexts"], t["answer"].get("citations", []), lang, _prefix(i, total))
        for i, t in enumerate(older, 1)
        if t.get("answer") and t["answer"].get("contexts")
    ]
    if earlier:
        parts.append(
            f'<details class="earlier"><summary>{esc(msg("earlier_sources", lang))}</summary>{"".join(reversed(earlier))}</details>'
        )
    return "".join(parts)


def history_of(turns: list[dict]):
    from rag.answering import Turn

    return [Turn(t["question"], t["answer"]["answer"]) for t in turns if t.get("answer")]


def answer_record(answer) -> dict:
    d = answer.to_dict()
    d.pop("raw_answer", None)
    return d


def respond(
    ctx: AppContext, question: str, turns: list[dict] | None, overrides: dict | None, request: gr.Request | None,
    doc_ids: list[str] | None = None,
):
    """Yields (chatbot, sources, turns, copy text, debug rows, question box); ``doc_ids``: search
    only these documents."""
    lang = lang_of(request)
    turns = list(turns or [])
    question = (question or "").strip()
    if not question:
        gr.Warning(msg("empty_question", lang))
        yield render_messages(turns, lang), render_sources(turns, lang), turns, gr.skip(), gr.skip(), ""
        return
    base = render_messages(turns, lang, total=len(turns) + 1)
    user = {"role": "user", "content": question}
    live = {"contexts": [], "citations": []}
    rewritten, translated, text, checked = None, None, "", ""
    queued = None  # the place in the model queue while waiting

    def frame(bubble: str):
        return base + [user, {"role": "assistant", "content": bubble}]

    def bubble(searching: bool = False) -> str:
        return streaming_html(text, lang, rewritten, searching, translated, checked, queued)

    yield frame(bubble(searching=True)), render_sources(turns, lang, live), turns, gr.skip(), gr.skip(), ""
    try:
        chain = ctx.chain(overrides)
        for event in chain.stream(question, history_of(turns), doc_ids or ()):
            if not isinstance(event, Queued):
                queued = None
            if isinstance(event, Queued):
                queued = event.position
                yield frame(bubble()), gr.skip(), turns, gr.skip(), gr.skip(), ""
            elif isinstance(event, Rewritten | Translated):
                if isinstance(event, Rewritten):
                    rewritten = event.text
                else:
                    translated = event.text
                yield frame(bubble(searching=True)), gr.skip(), turns, gr.skip(), gr.skip(), ""
            elif isinstance(event, SourcesFound):
                live = {
                    "contexts": [c.to_dict() for c in event.contexts], "citations": [], "best": event.best,
                    "warning": event.warning,
                }
                yield (
                    frame(bubble()), render_sources(turns, lang, live),
                    turns, gr.skip(), debug_table(live["contexts"], [], lang), "",
                )
            elif isinstance(event, Sentence):  # a sentence that passed the check: shown as final text
                checked += event.text
                yield frame(bubble()), gr.skip(), turns, gr.skip(), gr.skip(), ""
            elif isinstance(event, Retry):  # the model is asked again: what it streamed so far is void
                text = ""
                yield frame(bubble(searching=True)), gr.skip(), turns, gr.skip(), gr.skip(), ""
            elif isinstance(event, Draft):
                text += event.text
                yield frame(bubble()), gr.skip(), turns, gr.skip(), gr.skip(), ""
            elif isinstance(event, Done):
                record = answer_record(event.answer)
                turns = keep_recent(turns + [{"question": question, "answer": record}], ctx.base.max_history_turns)
                yield (
                    render_messages(turns, lang), render_sources(turns, lang), turns,
                    plain_answer(record), debug_table(record["contexts"], record["citations"], lang), "",
                )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a message; the server keeps serving
        p: Problem = problem(exc, lang)
        if isinstance(exc, StoreError) and _store_is_empty(ctx):
            p.hint = msg("no_documents", lang)
        gr.Warning(p.message)
        error = {"message": p.message, "hint": p.hint}
        turns = keep_recent(turns + [{"question": question, "error": error, "contexts": live["contexts"]}], ctx.base.max_history_turns)
        yield render_messages(turns, lang), render_sources(turns, lang), turns, "", gr.skip(), ""


def keep_recent(turns: list[dict], limit: int) -> list[dict]:
    """The newest ``limit`` turns: a long session neither grows without end nor re-sends every
    earlier answer's source cards with each response."""
    return turns[-max(1, limit) :]


def _store_is_empty(ctx: AppContext) -> bool:
    try:
        return ctx.store.count() == 0
    except Exception:  # noqa: BLE001
        return False


def new_chat(request: gr.Request | None):
    lang = lang_of(request)
    return [], render_sources([], lang), [], "", debug_table([], [], lang)
