"""What the answer chain tells its listeners, as types.

``AnswerChain.stream()`` yields these, in this order (each optional but ``Done``)::

    Queued* -> Rewritten -> Translated -> SourcesFound -> Queued* -> Draft* -> Retry -> Draft* -> Sentence* | Refused -> Done

The CLI, the UI and the HTTP API consume the same events; ``to_dict()`` gives each
one's JSON form with its ``type`` (the name in snake case), e.g. for server-sent events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields

from rag.answering.answer import Answer
from rag.answering.citations import Citation
from rag.index.retriever import Context


class Event:
    """Base class: ``type`` is the class name in snake case."""

    @property
    def type(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def to_dict(self) -> dict:
        out: dict = {"type": self.type}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if hasattr(value, "to_dict"):
                value = value.to_dict()
            elif isinstance(value, list):
                value = [v.to_dict() if hasattr(v, "to_dict") else v for v in value]
            out[f.name] = value
        return out


@dataclass
class Queued(Event):
    """Waiting for the model: ``position`` 1 means next (``rag.models.queue``)."""

    position: int


@dataclass
class Rewritten(Event):
    """A follow-up question rewritten into a standalone one."""

    text: str


@dataclass
class Translated(Event):
    """A question in another language than the sources, translated for retrieval."""

    text: str


@dataclass
class SourcesFound(Event):
    """The retrieved chunks, numbered in this order; ``best``: per chunk, the span (relative to
    its text) of the sentence that bears most on the question, or None -- shown at once,
    before the model has read anything; ``warning``: the store is mid-ingest or was left partial."""

    contexts: list[Context]
    best: list = field(default_factory=list)
    warning: str | None = None


@dataclass
class Draft(Event):
    """A piece of the model's raw, unchecked output."""

    text: str


@dataclass
class Retry(Event):
    """The model is asked again; what it drafted so far is void."""

    reason: str


@dataclass
class Sentence(Event):
    """One sentence of the answer that passed the check, with the citations it carries."""

    text: str
    citations: list[Citation]


@dataclass
class Refused(Event):
    """No supported answer: the refusal text and why."""

    text: str
    reason: str


@dataclass
class Done(Event):
    """The final, checked answer (or refusal)."""

    answer: Answer

