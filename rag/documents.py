"""The data model every stage shares: a cleaned ``Document`` (paragraphs with offsets, a
section tree) and its ``Chunk``s. Ingest makes them, the index stores them, summaries
walk their sections. Shortcut: plain dataclasses, serialised with ``dataclasses.asdict``.

Pages (PDFs only; ``None`` elsewhere): a ``Paragraph`` knows the page it starts on and where a
later page begins inside it (a paragraph joined across a page break); a ``Chunk`` carries the
page its first character is on. Shortcut: a chunk that runs onto the next page is cited with
its first page. Fields added later have defaults, so documents stored before them still load.
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
    page: int | None = None  # PDF page (1-based) the paragraph starts on
    page_breaks: list[tuple[int, int]] = field(default_factory=list)  # (offset in document text, page) of pages begun inside it

    def page_at(self, offset: int) -> int | None:
        """The page of the character at ``offset`` (an offset into the document text, inside this paragraph)."""
        page = self.page
        for at, later in self.page_breaks:
            if at <= offset:
                page = later
        return page


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
    page: int | None = None  # PDF page of the chunk's first character

    @property
    def content_hash(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()

    @property
    def index_text(self) -> str:
        """What the indexes see: the section path gives each chunk its context."""
        return f"{self.section}\n{self.text}"

    def metadata(self) -> dict:
        """What Chroma stores beside the vector (``page`` only when known: Chroma refuses None values)."""
        meta = {
            "doc_id": self.doc_id,
            "section": self.section,
            "kind": self.kind,
            "paragraph": self.paragraph,
            "start": self.start,
            "end": self.end,
            "content_hash": self.content_hash,
        }
        if self.page is not None:
            meta["page"] = self.page
        return meta
