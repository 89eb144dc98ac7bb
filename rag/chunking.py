"""Sentence-aware chunking with exact character offsets.

Chunks never cross a section boundary. A body paragraph is split into sentences
(Chinese 。！？；… and English .!? followed by a space, closing quotes kept with
their sentence); sentences are packed up to ``chunk_size`` characters, and the
next chunk of the same paragraph repeats the last ``overlap`` sentences. A short
paragraph (under ``min_chars``) is merged with the next body paragraphs of the
same section while they fit. Captions are chunks of their own. Every chunk's text is exactly
``document.text[start:end]``; its id hashes document, position and content.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .cleaning import Document, Paragraph

SENTENCE_RE = re.compile(
    r".+?(?:[。！？!?；;]+|…+|\.(?=\s)|$)[”’\"'」』）)】]*",  # up to a terminal and its closers
    re.S,
)
SECTION_SEP = " / "


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


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text`` (shifted by ``offset``), whitespace trimmed."""
    spans = []
    for m in SENTENCE_RE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s + offset, e + offset))
    return spans


def _make(doc: Document, para: Paragraph, start: int, end: int) -> Chunk:
    text = doc.text[start:end]
    section = SECTION_SEP.join(para.section)
    digest = hashlib.sha1(f"{doc.doc_id}|{start}|{end}|{text}".encode()).hexdigest()[:24]
    return Chunk(digest, doc.doc_id, text, section, para.kind, para.index, start, end)


def _pack(doc: Document, para: Paragraph, start: int, end: int, size: int, overlap: int) -> list[Chunk]:
    spans = split_sentences(doc.text[start:end], start)
    chunks, current = [], []
    for span in spans:
        if current and span[1] - current[0][0] > size:
            chunks.append(_make(doc, para, current[0][0], current[-1][1]))
            current = current[-overlap:] if overlap and len(current) > overlap else []
            if current and span[1] - current[0][0] > size:
                current = []
        current.append(span)
    if current:
        chunks.append(_make(doc, para, current[0][0], current[-1][1]))
    return chunks


def chunk_document(
    doc: Document, chunk_size: int = 320, overlap: int = 1, min_chars: int | None = None
) -> list[Chunk]:
    """All chunks of ``doc`` in document order (see module docstring).

    ``min_chars`` defaults to 5/8 of ``chunk_size``: a paragraph shorter than that
    takes the following paragraphs of its section in while they fit, so a chunk
    keeps the context a follow-on paragraph refers back to ("该公司", "他们").
    """
    if min_chars is None:
        min_chars = chunk_size * 5 // 8
    chunks: list[Chunk] = []
    paras = doc.paragraphs
    i = 0
    while i < len(paras):
        para = paras[i]
        if para.kind == "caption":
            chunks.append(_make(doc, para, para.start, para.end))
            i += 1
            continue
        end = para.end
        j = i
        # Merge short paragraphs forward within the section while they fit.
        while (
            end - para.start < min_chars
            and j + 1 < len(paras)
            and paras[j + 1].kind == "body"
            and paras[j + 1].section == para.section
            and paras[j + 1].end - para.start <= chunk_size
        ):
            j += 1
            end = paras[j].end
        chunks.extend(_pack(doc, para, para.start, end, chunk_size, overlap))
        i = j + 1
    return chunks
