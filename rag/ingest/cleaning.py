"""Turn a raw (Markdown-ish) news page into a clean, structured ``Document``.

What it repairs, generally rather than by listing strings:

* **Layout breaks** -- a body paragraph that ends without sentence-final punctuation
  continues in the next body paragraph (photo captions printed in between are
  skipped over); the two halves are joined again. Table rows (cells joined by `` | ``, as
  Markdown tables and the DOCX/HTML readers write them) are never joined. ``join_breaks=False``
  turns this off for text whose paragraphs are the author's own (Word documents).
* **Headlines** -- a plain-text page without ``#`` headings that starts with a short line
  without end punctuation has it as its headline (instead of joining it to the first paragraph).
* **Captions and credits** -- lines starting with 上图/中图/下图/左图/右图/图为 and
  short credit lines ending in 供图/摄 are taken out of the body and kept as caption
  paragraphs at the end of their section.
* **Structure** -- headings become a section path per story. When the page carries
  bylines (河北日报记者…, (记者…通讯员…)) a heading followed by a byline starts a
  story, headings that follow a heading directly are its sub-headlines, and other
  headings are sub-sections of the current story, whatever their ``#`` level (this
  page uses levels inconsistently). Without bylines, heading levels decide.

The cleaned text is the headings and paragraphs joined by blank lines; every
paragraph records its ``start``/``end`` offsets into it. Shortcut: a "paragraph"
is one non-empty input line, which is how Markdown exported from news systems
arrives.

``clean_pages`` cleans text that comes in pages (a PDF's): the same steps over all pages at
once, so a paragraph broken by a page end is joined again; every paragraph records the page
it starts on and where a later page begins inside it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import groupby

from rag.documents import Document, Paragraph, Section

HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
CAPTION_RE = re.compile(r"^(上图|中图|下图|左图|右图|左上图|右上图|图为|图片|图\d*)\s*[:：]")
CREDIT_RE = re.compile(r"(供图|摄|摄影)$")
TABLE_ROW_RE = re.compile(r"^\||\S \| \S")  # a Markdown table row, or cells joined by " | "
BYLINE_LINE_RE = re.compile(r"(记者|通讯员|本报)")
BYLINE_PREFIX_RE = re.compile(r"^(?:[^\s(（]{0,8})[(（]\s*(?:[^)）]*?)(?:记者|通讯员)[^)）]*[)）]")
CLOSERS = "”’\"'」』）)】》"
TERMINALS = "。！？!?…；;.:："
TITLE_MAX = 60  # a first line longer than this is a paragraph, not a headline


@dataclass(frozen=True)
class Block:
    """One non-empty input line, classified, with the section path it is placed in."""

    kind: str  # "heading", "body", "caption", "credit" or "byline"
    text: str
    level: int = 0  # number of '#' for headings, else 0
    path: tuple[str, ...] = ()
    page: int | None = None  # the page the block starts on (paged input only)
    breaks: tuple[tuple[int, int], ...] = ()  # (offset in ``text``, page) where a later page begins


def ends_sentence(text: str) -> bool:
    """True when a paragraph ends like a finished sentence (or quote)."""
    text = text.rstrip()
    if not text:
        return True
    return text[-1] in CLOSERS or text[-1] in TERMINALS


def _normalise(raw: str) -> list[str]:
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    raw = re.sub("[\u200b\u200c\u200d\ufeff]", "", raw)
    lines = []
    for line in raw.split("\n"):
        line = unicodedata.normalize("NFC", line).strip(" \t\u3000\xa0")
        lines.append(line)
    return lines


def _classify(line: str) -> str:
    if HEADING_RE.match(line):
        return "heading"
    if CAPTION_RE.match(line):
        return "caption"
    if len(line) <= 40 and CREDIT_RE.search(line) and not any(c in line for c in "。！？；"):
        return "credit"
    if (
        len(line) <= 60
        and BYLINE_LINE_RE.search(line)
        and not ends_sentence(line)
        and "," not in line
        and "，" not in line
    ):
        return "byline"
    return "body"


def _has_byline_prefix(text: str) -> bool:
    return bool(BYLINE_PREFIX_RE.match(text))


def clean(raw: str, doc_id: str, source: str = "", title: str | None = None, join_breaks: bool = True) -> Document:
    """Parse raw page text into a ``Document`` (see module docstring)."""
    return clean_pages([(None, raw)], doc_id, source, title, join_breaks)


def clean_pages(
    pages: list[tuple[int | None, str]], doc_id: str, source: str = "", title: str | None = None,
    join_breaks: bool = True,
) -> Document:
    """Like ``clean`` for text in pages, ``(page number, text)`` in order: paragraphs know their pages."""
    blocks = _blocks(pages)
    blocks, sections = _assign_sections(blocks, title, doc_id)
    blocks = _attach_credits(blocks)
    blocks, repairs = _join_layout_breaks(blocks) if join_breaks else (blocks, [])
    text, paragraphs = _emit(blocks)
    return Document(doc_id, source, text, paragraphs, sections, repairs)


def _blocks(pages: list[tuple[int | None, str]]) -> list[Block]:
    """Classify every non-empty normalised line into a block (headings lose their ``#`` marks)."""
    blocks: list[Block] = []
    for page, raw in pages:
        for line in _normalise(raw):
            if not line:
                continue
            kind = _classify(line)
            if kind == "heading":
                m = HEADING_RE.match(line)
                blocks.append(Block("heading", m.group(2).strip(), len(m.group(1)), page=page))
            else:
                blocks.append(Block(kind, line, page=page))
    return _headline(blocks)


def _headline(blocks: list[Block]) -> list[Block]:
    """A plain-text page (no ``#`` headings) whose first line is short and unfinished has it as its
    headline: news text puts the title first, without end punctuation."""
    if len(blocks) < 2 or any(b.kind == "heading" for b in blocks):
        return blocks
    first = blocks[0]
    if first.kind == "body" and len(first.text) <= TITLE_MAX and not ends_sentence(first.text):
        return [replace(first, kind="heading", level=1)] + blocks[1:]
    return blocks


def _assign_sections(blocks: list[Block], title: str | None, doc_id: str) -> tuple[list[Block], list[Section]]:
    """Build the story/section structure; return the blocks with their paths and the sections in order."""
    byline_mode = _uses_bylines(blocks)
    sections: list[Section] = []
    placed: list[Block] = []
    story: tuple[str, ...] = ()
    levels: list[tuple[int, str]] = []
    if title and blocks and blocks[0].kind != "heading":
        story = (title,)
        sections.append(Section(story))
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "heading":
            if not sections:
                story = (title or doc_id,)
                sections.append(Section(story))
            placed.append(_place(blocks[i], sections[-1]))
            i += 1
            continue
        group = _heading_group(blocks, i)
        i += len(group)
        if byline_mode:
            path = _story_path(story, group[0].text, _next_content(blocks, i))
        else:
            levels, path = _level_path(levels, group[0])
        story = path[:1]
        sections.append(Section(path, subtitle=" ".join(h.text for h in group[1:]) or None))
        placed.extend(replace(h, path=path) for h in group)
    return placed, sections


def _uses_bylines(blocks: list[Block]) -> bool:
    """True when the page marks its stories with bylines (byline lines or bodies opening with one)."""
    return any(b.kind == "byline" or (b.kind == "body" and _has_byline_prefix(b.text)) for b in blocks)


def _heading_group(blocks: list[Block], i: int) -> list[Block]:
    """The run of consecutive headings starting at ``i`` (a headline and its sub-headlines)."""
    j = i
    while j < len(blocks) and blocks[j].kind == "heading":
        j += 1
    return blocks[i:j]


def _next_content(blocks: list[Block], i: int) -> Block | None:
    """The first block from ``i`` on that is not a heading, caption or credit (None if there is none)."""
    while i < len(blocks) and blocks[i].kind in ("heading", "caption", "credit"):
        i += 1
    return blocks[i] if i < len(blocks) else None


def _story_path(story: tuple[str, ...], heading: str, nxt: Block | None) -> tuple[str, ...]:
    """Byline pages: a heading followed by a byline (or the first heading) starts a story, else a sub-section."""
    if not story or (nxt is not None and (nxt.kind == "byline" or _has_byline_prefix(nxt.text))):
        return (heading,)
    return story + (heading,)


def _level_path(
    levels: list[tuple[int, str]], heading: Block
) -> tuple[list[tuple[int, str]], tuple[str, ...]]:
    """Pages without bylines: the heading's ``#`` level decides; return the new level stack and the path."""
    levels = [(lv, t) for lv, t in levels if lv < heading.level] + [(heading.level, heading.text)]
    return levels, tuple(t for _, t in levels)


def _place(block: Block, section: Section) -> Block:
    """Put a non-heading block into ``section``, recording the section's byline when it carries one."""
    if block.kind == "byline":
        section.byline = block.text
    elif block.kind == "body" and _has_byline_prefix(block.text) and section.byline is None:
        section.byline = BYLINE_PREFIX_RE.match(block.text).group(0)
    return replace(block, path=section.path)


def _attach_credits(blocks: list[Block]) -> list[Block]:
    """Append each credit to the caption right before it; a credit without one becomes a caption itself."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "credit" and out and out[-1].kind == "caption":
            out[-1] = replace(out[-1], text=f"{out[-1].text} {block.text}")
        elif block.kind == "credit":
            out.append(replace(block, kind="caption"))
        else:
            out.append(block)
    return out


def _join_layout_breaks(blocks: list[Block]) -> tuple[list[Block], list[tuple[str, str]]]:
    """Join an unfinished body paragraph with the next body paragraph of its section, skipping captions."""
    repairs: list[tuple[str, str]] = []
    joined: list[Block] = []
    for block in blocks:
        k = _last_non_caption(joined)
        if block.kind == "body" and k is not None and _continues(joined[k], block):
            repairs.append((joined[k].text[-12:], block.text[:12]))
            joined[k] = _joined(joined[k], block)
        else:
            joined.append(block)
    return joined, repairs


def _joined(prev: Block, block: Block) -> Block:
    """``prev`` continued by ``block`` (a space between two ASCII ends), recording a page begun in ``block``."""
    sep = " " if (prev.text[-1].isascii() and block.text[0].isascii()) else ""
    shift = len(prev.text) + len(sep)
    breaks = list(prev.breaks)
    page = breaks[-1][1] if breaks else prev.page
    for at, later in ((0, block.page), *block.breaks):
        if later != page:
            breaks.append((shift + at, later))
            page = later
    return replace(prev, text=prev.text + sep + block.text, breaks=tuple(breaks))


def _last_non_caption(blocks: list[Block]) -> int | None:
    """Index of the last block that is not a caption (None if there is none)."""
    return next((k for k in range(len(blocks) - 1, -1, -1) if blocks[k].kind != "caption"), None)


def _continues(prev: Block, block: Block) -> bool:
    """True when ``block`` continues ``prev``: both body paragraphs (not table rows) of one section, ``prev`` unfinished."""
    return (
        prev.kind == "body" and block.kind == "body" and prev.path == block.path and not ends_sentence(prev.text)
        and not TABLE_ROW_RE.search(prev.text) and not TABLE_ROW_RE.search(block.text)
    )


def _emit(blocks: list[Block]) -> tuple[str, list[Paragraph]]:
    """Join the blocks into the cleaned text and record body/caption Paragraphs with their offsets."""
    texts: list[str] = []
    paragraphs: list[Paragraph] = []
    pos = 0
    for block in _captions_last(blocks):
        start = pos + 2 if texts else pos
        pos = start + len(block.text)
        texts.append(block.text)
        if block.kind in ("body", "caption"):
            breaks = [(start + at, page) for at, page in block.breaks]
            paragraphs.append(Paragraph(block.text, block.kind, block.path, len(paragraphs), start, pos, block.page, breaks))
    return "\n\n".join(texts), paragraphs


def _captions_last(blocks: list[Block]) -> list[Block]:
    """Reorder each run of blocks in one section so that its captions come at the end."""
    ordered: list[Block] = []
    for _, run in groupby(blocks, key=lambda b: b.path):
        run = list(run)
        ordered += [b for b in run if b.kind != "caption"] + [b for b in run if b.kind == "caption"]
    return ordered
