"""rag: offline document Q&A and summaries with checked citations.

Python API (imports are lazy so ``import rag`` stays cheap)::

    import rag
    answer = rag.ask("化辛小区是哪两个村的回迁安置小区?")
    print(answer.text, answer.citations)
    follow = rag.chat("那退役军人呢?", history=[("问题", "回答")])
"""

from __future__ import annotations

__all__ = ["ask", "chat", "summarize"]


def ask(question: str, *, settings=None, model: str | None = None):
    """Answer one question from the ingested documents; returns ``rag.answering.Answer``."""
    return chat(question, history=None, settings=settings, model=model)


def chat(question: str, history=None, *, settings=None, model: str | None = None):
    """Answer a (possibly follow-up) question given ``history`` of (question, answer) pairs."""
    from rag.answering import AnswerChain
    from rag.models import get_chat_model
    from rag.settings import get_settings

    s = settings or get_settings()
    llm = get_chat_model(model, settings=s) if model else None
    return AnswerChain(s, llm=llm).invoke(question, history)


def summarize(*args, **kwargs):
    """Summaries of sections / the whole document (see ``rag.summaries``)."""
    from rag.summaries import summarize as run

    return run(*args, **kwargs)
