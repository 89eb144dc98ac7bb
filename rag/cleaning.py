"""Turn a raw (Markdown-ish) news page into a clean, structured ``Document``.

What it repairs, generally rather than by listing strings:

* **Layout breaks** -- a body paragraph that ends without sentence-final punctuation
  continues in the next body paragraph (photo captions printed in between are
  skipped over); the two halves are joined again.
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
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
CAPTION_RE = re.compile(r"^(上图|中图|下图|左图|右图|左上图|右上图|图为|图片|图\d*)\s*[:：]")
CREDIT_RE = re.compile(r"(供图|摄|摄影)$")
BYLINE_LINE_RE = re.compile(r"(记者|通讯员|本报)")
BYLINE_PREFIX_RE = re.compile(r"^(?:[^\s(（]{0,8})[(（]\s*(?:[^)）]*?)(?:记者|通讯员)[^)）]*[)）]")
CLOSERS = "”’\"'」』）)】》"
TERMINALS = "。！？!?…；;.:："


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
    if len(line) <= 60 and BYLINE_LINE_RE.search(line) and not ends_sentence(line) and "," not in line and "，" not in line:
        return "byline"
    return "body"


def _has_byline_prefix(text: str) -> bool:
    return bool(BYLINE_PREFIX_RE.match(text))


def clean(raw: str, doc_id: str, source: str = "", title: str | None = None) -> Document:
    """Parse raw page text into a ``Document`` (see module docstring)."""
    blocks: list[tuple[str, str, int]] = []  # (kind, text, heading level)
    for line in _normalise(raw):
        if not line:
            continue
        kind = _classify(line)
        if kind == "heading":
            m = HEADING_RE.match(line)
            blocks.append(("heading", m.group(2).strip(), len(m.group(1))))
        else:
            blocks.append((kind, line, 0))

    # Does the page mark stories with bylines? Then a byline after a heading block starts a story.
    def first_after(i: int) -> tuple[str, str] | None:
        while i < len(blocks) and blocks[i][0] in ("heading", "caption", "credit"):
            i += 1
        return (blocks[i][0], blocks[i][1]) if i < len(blocks) else None

    byline_mode = any(k == "byline" or (k == "body" and _has_byline_prefix(t)) for k, t, _ in blocks)

    sections: list[Section] = []
    # Each entry: [kind, text, section_path]; captions carry their own section too.
    items: list[list] = []
    story: tuple[str, ...] = ()
    level_stack: list[tuple[int, str]] = []
    i = 0
    if title and blocks and blocks[0][0] != "heading":
        story = (title,)
        sections.append(Section(story))
    while i < len(blocks):
        kind, text, level = blocks[i]
        if kind == "heading":
            group = []
            while i < len(blocks) and blocks[i][0] == "heading":
                group.append(blocks[i])
                i += 1
            nxt = first_after(i)
            if byline_mode:
                starts_story = not story or (
                    nxt is not None and (nxt[0] == "byline" or _has_byline_prefix(nxt[1]))
                )
                if starts_story:
                    path = (group[0][1],)
                    story = path
                else:
                    path = story + (group[0][1],)
            else:
                lvl = group[0][2]
                level_stack = [(lv, t) for lv, t in level_stack if lv < lvl] + [(lvl, group[0][1])]
                path = tuple(t for _, t in level_stack)
                story = path[:1]
            subtitle = " ".join(t for _, t, _ in group[1:]) or None
            sections.append(Section(path, subtitle=subtitle))
            items.append(["heading", group[0][1], path])
            for _, t, _ in group[1:]:
                items.append(["heading", t, path])
            continue
        if not sections:
            story = (title or doc_id,)
            sections.append(Section(story))
        path = sections[-1].path
        if kind == "byline":
            sections[-1].byline = text
            items.append(["byline", text, path])
        elif kind == "body" and _has_byline_prefix(text) and sections[-1].byline is None:
            sections[-1].byline = BYLINE_PREFIX_RE.match(text).group(0)
            items.append(["body", text, path])
        else:
            items.append([kind, text, path])
        i += 1

    # Credits belong to the caption before them.
    merged: list[list] = []
    for item in items:
        if item[0] == "credit" and merged and merged[-1][0] == "caption":
            merged[-1][1] = f"{merged[-1][1]} {item[1]}"
        elif item[0] == "credit":
            merged.append(["caption", item[1], item[2]])
        else:
            merged.append(item)

    # Join layout breaks: an unfinished body paragraph continues in the next body paragraph
    # of the same section, skipping captions printed in between.
    repairs: list[tuple[str, str]] = []
    joined: list[list] = []
    for item in merged:
        if item[0] == "body":
            prev = next((j for j in reversed(joined) if j[0] != "caption"), None)
            if prev is not None and prev[0] == "body" and prev[2] == item[2] and not ends_sentence(prev[1]):
                sep = " " if (prev[1][-1].isascii() and item[1][0].isascii()) else ""
                repairs.append((prev[1][-12:], item[1][:12]))
                prev[1] = prev[1] + sep + item[1]
                continue
        joined.append(item)

    # Emit cleaned text: per section, headings/byline, body paragraphs, then its captions.
    out: list[str] = []
    paragraphs: list[Paragraph] = []
    pos = 0

    def emit(text: str) -> tuple[int, int]:
        nonlocal pos
        if out:
            pos += 2
        out.append(text)
        start = pos
        pos += len(text)
        return start, pos

    pending_captions: list[list] = []
    current = None
    for item in joined + [["end", "", None]]:
        kind, text, path = item
        if path != current:
            for cap in pending_captions:
                start, end = emit(cap[1])
                paragraphs.append(Paragraph(cap[1], "caption", cap[2], len(paragraphs), start, end))
            pending_captions = []
            current = path
        if kind == "end":
            break
        if kind == "caption":
            pending_captions.append(item)
        elif kind in ("heading", "byline"):
            emit(text)
        else:
            start, end = emit(text)
            paragraphs.append(Paragraph(text, "body", path, len(paragraphs), start, end))
    cleaned = "\n\n".join(out)
    return Document(doc_id, source, cleaned, paragraphs, sections, repairs)
