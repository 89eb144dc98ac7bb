"""Read PDF, DOCX and HTML files into the line-per-paragraph, ``#``-heading text the cleaner takes.

* **PDF** (``pypdf``): the text layer of every page, kept per page so paragraphs and chunks
  know their page. Running headers and footers -- a page's first or last line that is a bare
  page number, or that repeats on most pages -- are dropped. Title: the PDF's metadata title
  unless it is a placeholder (a file name, "untitled"); else the cleaner's headline rule.
* **DOCX** (``python-docx``): body paragraphs and tables in document order; Title / Heading n
  styles become ``#`` headings; a table row is one line, its cells joined by `` | ``. Word
  paragraphs are the author's, so the cleaner does not join them (captions are still set apart).
  Title: the core-properties title, else the first heading.
* **HTML** (``trafilatura``): the main text only (menus, navigation, footers and comments
  removed), with its headings, lists and tables. Title: the page's metadata title (og:title,
  ``<title>`` ...).

Every failure is an ``InputError`` that names the file and says what to do: a damaged or
password-protected PDF, one without a text layer (scanned: run OCR first), a .docx that is not
a Word file, a page with no main text. Shortcuts: page numbers are physical (1 = the first page),
not printed page labels; a PDF's line breaks are the layout's (the cleaner joins unfinished
lines); DOCX headers, footers, footnotes and text boxes are skipped; an HTML page counts as
having no main text when all its extracted text is link, menu or button text.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from rag.errors import InputError

PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
HTML_SUFFIXES = (".html", ".htm")

PAGE_NUMBER_RE = re.compile(
    r"^(?:[-–—\s]*\d{1,4}[-–—\s]*|第\s*\d{1,4}\s*页(?:\s*[/,，]?\s*共\s*\d{1,4}\s*页)?|"
    r"(?:page\s*)?\d{1,4}\s*(?:/|of)\s*\d{1,4}|page\s*\d{1,4})$",
    re.IGNORECASE,
)
PLACEHOLDER_TITLE_RE = re.compile(
    r"\.(?:docx?|pdf|txt|md|rtf|odt|indd|tex|pptx?|xlsx?|html?)$|^(?:untitled|无标题|microsoft word\b)", re.IGNORECASE
)
DOCX_HEADING_RE = re.compile(r"^(?:heading|标题)\s*(\d)$", re.IGNORECASE)


@dataclass
class Loaded:
    """A file as text: one paragraph per line, ``#`` headings; ``pages`` (PDF only) holds
    ``(page number, text)`` for every page with text, in order."""

    text: str
    title: str | None = None
    pages: list[tuple[int, str]] | None = None
    join_breaks: bool = True  # False: every line is a paragraph as the author wrote it (no layout repair)


def _useful_title(title: str | None) -> str | None:
    title = " ".join((title or "").split())
    return title if title and len(title) <= 200 and not PLACEHOLDER_TITLE_RE.search(title) else None


# -- PDF ------------------------------------------------------------------------------------
def read_pdf(path: Path) -> Loaded:
    """A PDF's text layer per page (see module docstring)."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # no log noise about damaged files: failures are InputErrors
    try:
        reader = PdfReader(path)
        texts = [page.extract_text() or "" for page in reader.pages]
        title = _pdf_title(reader)
    except (FileNotDecryptedError, DependencyError) as exc:
        raise InputError(
            f"{path}: the PDF is password-protected or encrypted",
            hint="save an unprotected copy (print to PDF, or `qpdf --decrypt`) and ingest that",
        ) from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds for a damaged file
        raise InputError(
            f"{path}: cannot read this PDF ({type(exc).__name__}: {exc})",
            hint="the file is damaged or not a PDF; open and re-save it (or export it again) and ingest that",
        ) from exc
    if not texts:
        raise InputError(f"{path}: the PDF has no pages", hint="nothing to ingest")
    pages = [(n, t) for n, t in enumerate(_without_running_lines(texts), 1) if t.strip()]
    if not pages:
        raise InputError(
            f"{path}: the PDF has no text layer (a scanned document?)",
            hint="run OCR first, e.g. `ocrmypdf -l chi_sim+eng in.pdf out.pdf`, and ingest the result",
        )
    return Loaded("\n".join(t for _, t in pages), title, pages)


def _pdf_title(reader) -> str | None:
    try:
        return _useful_title(reader.metadata.title if reader.metadata else None)
    except Exception:  # noqa: BLE001 - damaged metadata: the title falls back, the text still counts
        return None


def _without_running_lines(texts: list[str]) -> list[str]:
    """Drop up to two lines at each end of a page when they are a bare page number or repeat at
    the edges of most pages (running headers and footers)."""
    pages = [[line.strip() for line in t.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()] for t in texts]
    edges = Counter(line for lines in pages for line in {*lines[:2], *lines[-2:]})
    repeated = {line for line, n in edges.items() if len(pages) >= 3 and n >= max(3, len(pages) // 2 + 1)}
    running = lambda line: bool(PAGE_NUMBER_RE.match(line)) or line in repeated  # noqa: E731
    out = []
    for lines in pages:
        for _ in range(2):
            lines = lines[1:] if lines and running(lines[0]) else lines
            lines = lines[:-1] if lines and running(lines[-1]) else lines
        out.append("\n".join(lines))
    return out


# -- DOCX -----------------------------------------------------------------------------------
def read_docx(path: Path) -> Loaded:
    """A Word document's body paragraphs and tables in order (see module docstring)."""
    import docx

    try:
        document = docx.Document(str(path))
        lines, first_heading = _docx_lines(document)
        title = _useful_title(document.core_properties.title) or first_heading
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds for a file it cannot open
        raise InputError(
            f"{path}: not a readable Word .docx file ({type(exc).__name__}: {exc})",
            hint="open it in Word or LibreOffice and save it again as .docx (a .doc must be converted; "
            "a password-protected file must be saved without the password)",
        ) from exc
    if not any(lines):
        raise InputError(f"{path}: the document holds no text", hint="nothing to ingest; add text to it")
    return Loaded("\n".join(lines), title, join_breaks=False)  # Word paragraphs are the author's, not layout


def _docx_lines(document) -> tuple[list[str], str | None]:
    from docx.table import Table

    lines: list[str] = []
    first_heading = None
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
            continue
        text = block.text.strip()
        level = _heading_level(getattr(block.style, "name", "") or "")
        if text and level:
            first_heading = first_heading or text
            text = f"{'#' * level} {text}"
        lines.append(text)
    return lines, first_heading


def _heading_level(style: str) -> int:
    """1 for the Title style, n + 1 for Heading n (capped at 6), else 0 (not a heading)."""
    if style.lower() == "title":
        return 1
    m = DOCX_HEADING_RE.match(style.strip())
    return min(int(m.group(1)) + 1, 6) if m else 0


def _table_lines(table) -> list[str]:
    """One line per row, cells joined by ' | ' (a merged cell once)."""
    lines = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if text and (not cells or cells[-1] != text):
                cells.append(text)
        if cells:
            lines.append(" | ".join(cells))
    return lines


# -- HTML -----------------------------------------------------------------------------------
NON_CONTENT_TAGS = ("a", "nav", "button", "option")


def read_html(path: Path, data: bytes) -> Loaded:
    """The main text of a web page with its headings (see module docstring)."""
    import trafilatura

    try:
        xml = trafilatura.extract(
            data, output_format="xml", with_metadata=True, include_tables=True, include_comments=False,
            include_images=False, include_links=False, config=_trafilatura_config(),
        )
        root = ElementTree.fromstring(xml) if xml else None
        tree = trafilatura.load_html(data)
    except Exception as exc:  # noqa: BLE001 - lxml / trafilatura raise many kinds for broken markup
        raise InputError(f"{path}: cannot parse this HTML ({type(exc).__name__}: {exc})",
                         hint="save the page again (as HTML or as text) and ingest that") from exc
    main = root.find("main") if root is not None else None
    lines = _xml_lines(main) if main is not None else []
    if not lines or (tree is not None and _only_links(lines, tree)):
        raise InputError(
            f"{path}: no main text found in this page (only menus, links or an empty body)",
            hint="save the article page itself (not an index or login page), or copy its text into a .txt file",
        )
    return Loaded("\n".join(lines), _useful_title(root.get("title")))


@lru_cache(maxsize=1)
def _trafilatura_config():
    from trafilatura.settings import use_config

    config = use_config()
    # Chinese is dense: below trafilatura's 250 characters it would swap a short article for the
    # whole page's text (menus included); 50 keeps short articles as extracted.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "50")
    return config


def _xml_lines(element) -> list[str]:
    """trafilatura's XML as lines: ``head`` -> ``#`` heading, table rows joined by ' | ', other blocks as text."""
    lines = _split(element.text)
    for child in element:
        if child.tag == "head":
            m = re.match(r"h(\d)$", child.get("rend", ""))
            level = int(m.group(1)) if m else 2
            lines += [f"{'#' * level} {t}" for t in _split(_text(child))[:1]]
        elif child.tag == "table":
            for row in child.iter("row"):
                cells = [" ".join(_text(c).split()) for c in row.iter("cell")]
                lines += [" | ".join(c for c in cells if c)] if any(cells) else []
        elif child.tag in ("list", "div", "quote") and len(child):
            lines += _xml_lines(child)
        elif child.tag != "graphic":
            lines += _split(_text(child))
        lines += _split(child.tail)
    return lines


def _text(element) -> str:
    """The element's text, ``<lb/>`` as a line break."""
    parts = [element.text or ""]
    for child in element:
        parts += ["\n" if child.tag == "lb" else _text(child), child.tail or ""]
    return "".join(parts)


def _split(text: str | None) -> list[str]:
    return [" ".join(line.split()) for line in (text or "").split("\n") if line.strip()]


def _only_links(lines: list[str], tree) -> bool:
    """True when every word of ``lines`` is link, menu or button text of the page."""
    rest = "".join("".join(lines).split())
    chrome = {"".join("".join(el.itertext()).split()) for tag in NON_CONTENT_TAGS for el in tree.iter(tag)}
    for piece in sorted(chrome, key=len, reverse=True):
        if piece:
            rest = rest.replace(piece, "")
    return not re.search(r"\w", rest)
