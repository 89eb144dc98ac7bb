"""The data model every stage shares: a cleaned ``Document`` (paragraphs with offsets, a
section tree) and its ``Chunk``s. Ingest makes them, the index stores them, summaries
walk their sections. Shortcut: plain dataclasses, serialised with ``dataclasses.asdict``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

SECTION_SEP = " / "


@dataclass
class Paragraph:
    text: str
    kind: str  # "body" or "caption"
    section: tuple[str, ...]
    index: int
    start: int = 0
    end: int = 0


@dataclass
class Section:
    path: tuple[str, ...]
    subtitle: str | None = None
    byline: str | None = None


@dataclass
class Document:
    doc_id: str
    source: str
    text: str
    paragraphs: list[Paragraph]
    sections: list[Section]
    repairs: list[tuple[str, str]] = field(default_factory=list)  # (end of first half, start of second)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def section_text(self, path: tuple[str, ...]) -> str:
        return "\n\n".join(p.text for p in self.paragraphs if p.section[: len(path)] == path)


@dataclass
class Chunk:
    chunk_id: str
    doc_id: str
    text: str
    section: str  # heading path joined by " / "
    kind: str  # body | caption
    paragraph: int  # index of the first paragraph
    start: int
    end: int

    @property
    def content_hash(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()

    @property
    def index_text(self) -> str:
        """What the indexes see: the section path gives each chunk its context."""
        return f"{self.section}\n{self.text}"

    def metadata(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "section": self.section,
            "kind": self.kind,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "content_hash": self.content_hash,
        }
