"""Sentence-aware chunking with exact character offsets.

Chunks never cross a section boundary. A body paragraph is split into sentences
(``rag.text.split_sentences``); sentences are packed up to ``chunk_size`` characters, and the
next chunk of the same paragraph repeats the last ``overlap`` sentences. A short
paragraph (under ``min_chars``) is merged with the next body paragraphs of the
same section (and, in a PDF, starting on the same page) while they fit. A sentence longer than twice ``chunk_size`` is cut at its clause marks
(or, without any, at that limit), so no chunk exceeds twice the target. Captions are chunks of their own. Every chunk's text is exactly
``document.text[start:end]``; its id hashes document, position and content (and page, when known).
A PDF chunk carries the page its first character is on (``Paragraph.page_at``); shortcut: a chunk
that runs onto the next page is cited with its first page.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable

from rag.documents import SECTION_SEP, Chunk, Document, Paragraph
from rag.text import split_sentences

Pager = Callable[[int], int | None]


def _make(doc: Document, para: Paragraph, start: int, end: int, page_of: Pager) -> Chunk:
    text = doc.text[start:end]
    section = SECTION_SEP.join(para.section)
    page = page_of(start)
    key = f"{doc.doc_id}|{start}|{end}|{text}" + (f"|p{page}" if page is not None else "")
    digest = hashlib.sha1(key.encode()).hexdigest()[:24]
    return Chunk(digest, doc.doc_id, text, section, para.kind, para.index, start, end, page)


def _pager(doc: Document) -> Pager:
    """offset -> page of the character there; always None for a document without pages."""
    paras = doc.paragraphs
    if all(p.page is None for p in paras):
        return lambda offset: None
    starts = [p.start for p in paras]
    return lambda offset: paras[max(0, bisect_right(starts, offset) - 1)].page_at(offset)


CLAUSE_MARKS = "，、；：,;:"


def _bounded(text: str, spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Sentences longer than ``size`` cut at their last clause mark (，、；：) before that limit, or at
    the limit when a clause is longer still (text without punctuation), so no chunk outgrows it."""
    out = []
    for s, e in spans:
        while e - s > size:
            window = text[s : s + size]
            cut = max(window.rfind(m) for m in CLAUSE_MARKS) + 1
            cut = s + (cut if cut > size // 4 else size)
            out.append((s, cut))
            s = cut
            while s < e and text[s].isspace():
                s += 1
        if e > s:
            out.append((s, e))
    return out


def _pack(doc: Document, para: Paragraph, start: int, end: int, size: int, overlap: int, page_of: Pager) -> list[Chunk]:
    spans = _bounded(doc.text, split_sentences(doc.text[start:end], start), 2 * size)
    chunks, current = [], []
    for span in spans:
        if current and span[1] - current[0][0] > size:
            chunks.append(_make(doc, para, current[0][0], current[-1][1], page_of))
            current = current[-overlap:] if overlap and len(current) > overlap else []
            if current and span[1] - current[0][0] > size:
                current = []
        current.append(span)
    if current:
        chunks.append(_make(doc, para, current[0][0], current[-1][1], page_of))
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
    page_of = _pager(doc)
    i = 0
    while i < len(paras):
        para = paras[i]
        if para.kind == "caption":
            chunks.append(_make(doc, para, para.start, para.end, page_of))
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
            and paras[j + 1].page == para.page
            and paras[j + 1].end - para.start <= chunk_size
        ):
            j += 1
            end = paras[j].end
        chunks.extend(_pack(doc, para, para.start, end, chunk_size, overlap, page_of))
        i = j + 1
    return chunks
