"""What the chain returns: the checked ``Answer`` (or refusal) and a chat ``Turn``."""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.answering.citations import Citation
from rag.index.retriever import Context


@dataclass
class Answer:
    question: str
    text: str  # in the question's language
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    contexts: list[Context] = field(default_factory=list)
    rewritten_question: str | None = None
    translated_question: str | None = None
    language: str = "zh"
    raw_answer: str = ""
    dropped: list[dict] = field(default_factory=list)  # sentences removed by the check, with reasons
    refusal_reason: str | None = None
    timings: dict = field(default_factory=dict)
    model_calls: list[tuple[list, str]] = field(default_factory=list, repr=False)
    # for a translated answer: the checked answer in the sources' language (a small model's
    # translation can garble names, so it is shown too)
    source_text: str | None = None
    usage: list[dict] = field(default_factory=list)  # per model call: kind, tokens, seconds
    warning: str | None = None  # the store was mid-ingest or left partial when this was answered

    @property
    def display_text(self) -> str:
        return f"{self.text}\n\n({self.source_text})" if self.source_text else self.text

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "translated_question": self.translated_question,
            "answer": self.text,
            "answer_source_language": self.source_text,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "language": self.language,
            "citations": [c.to_dict() for c in self.citations],
            "contexts": [c.to_dict() for c in self.contexts],
            "raw_answer": self.raw_answer,
            "dropped": self.dropped,
            "timings": self.timings,
            "model_usage": self.usage,
            "warning": self.warning,
        }


@dataclass
class Turn:
    question: str
    answer: str
