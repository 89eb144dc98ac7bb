"""Read files from disk into text, refusing what cannot be ingested.

Supported: plain text and Markdown (``.txt``, ``.md``, ``.markdown``), PDF (``.pdf``, text per
page), Word (``.docx``) and web pages (``.html``, ``.htm``, main text only). ``load_file``
checks the path, type and size and hands PDF, DOCX and HTML to their readers in
``rag.ingest.formats`` (pypdf, python-docx, trafilatura), which never go through the text
decoder below (its binary refusal is for text files). The result is a ``Loaded``: text with one
paragraph per line and ``#`` headings, the title the file names, and for a PDF its pages.

Text decoding order: a byte-order mark (UTF-8/16/32); UTF-16 without one (ASCII in it leaves
NUL bytes on one side); UTF-8; GB18030 when nearly all its Chinese characters are common
ones; else ``charset-normalizer`` (Big5 and the rest), reading Western single-byte text as
Windows-1252. Empty, binary, oversized and undecodable files are
``InputError``s that name the file and say what to do -- never a traceback.
Shortcut: binary detection is a NUL byte anywhere, or control characters in the first 8 KB.
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

from charset_normalizer import from_bytes

from rag.errors import InputError
from rag.ingest.formats import DOCX_SUFFIXES, HTML_SUFFIXES, PDF_SUFFIXES, Loaded, read_docx, read_html, read_pdf

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + DOCX_SUFFIXES + HTML_SUFFIXES


def iter_input_files(paths: list[Path]) -> list[Path]:
    """Expand folders into the supported files below them; check every path exists."""
    files: list[Path] = []
    for path in paths:
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", hint="check the path")
        if path.is_dir():
            found = sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
            if not found:
                raise InputError(
                    f"{path}: folder holds no {'/'.join(SUPPORTED_SUFFIXES)} files",
                    hint="point at a folder of text, Markdown, PDF, Word or HTML files",
                )
            files.extend(found)
        else:
            files.append(path)
    return files


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_SINGLE_BYTE_LATIN = ("cp125", "latin", "iso8859", "mac_")


def _looks_binary(data: bytes) -> bool:
    if b"\x00" in data:  # text never holds a NUL byte, wherever it stands
        return True
    head = data[:8192]
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > len(head) * 0.05


def _printable(text: str) -> bool:
    """Nearly all characters printable and assigned (no private-use or unassigned code points)."""
    good = sum((c.isprintable() or c.isspace()) and unicodedata.category(c) not in ("Co", "Cn", "Cs") for c in text)
    return good >= 0.95 * max(1, len(text))


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a byte-order mark: ASCII in it leaves NUL bytes on one side of each pair."""
    if len(data) % 2 or data.count(0) < len(data) // 8:
        return None
    odd_nuls, even_nuls = data[1::2].count(0), data[0::2].count(0)
    if min(odd_nuls, even_nuls) * 4 > max(odd_nuls, even_nuls):  # NULs evenly on both sides: not text
        return None
    for encoding in (("utf-16-le", "utf-16-be") if odd_nuls >= even_nuls else ("utf-16-be", "utf-16-le")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _printable(text):
            return text
    return None


def _plausible_chinese(data: bytes) -> str | None:
    """GB18030 (GBK, GB2312) text, when nearly all its Chinese characters are common ones
    (GB2312's hanzi): bytes of another encoding decode to rare characters or fail."""
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    hanzi = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not hanzi or not _printable(text):
        return None
    common = 0
    for c in hanzi:
        try:
            common += 0xB0 <= c.encode("gb2312")[0] <= 0xF7
        except UnicodeEncodeError:
            pass
    return text if common >= 0.9 * len(hanzi) else None


def decode_bytes(data: bytes, name: str = "input") -> str:
    """Bytes -> str, or an InputError saying why not (see the module docstring for the order)."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty", hint="nothing to ingest; add text to it")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: starts like {encoding} text but is not valid {encoding}",
                                 hint="save the file as UTF-8 and ingest it again") from exc
    text = _utf16_without_bom(data)
    if text is not None:
        return text
    if _looks_binary(data):
        raise InputError(
            f"{name}: looks like a binary file, not text",
            hint=f"text files ({', '.join(TEXT_SUFFIXES)}) must be UTF-8, UTF-16, GBK or another text encoding; "
            f"PDF, Word and HTML files need their own suffix ({', '.join(PDF_SUFFIXES + DOCX_SUFFIXES + HTML_SUFFIXES)})",
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _plausible_chinese(data)
    if text is not None:
        return text
    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"{name}: cannot tell the text encoding", hint="save the file as UTF-8 and ingest it again")
    if best.encoding.lower().startswith(_SINGLE_BYTE_LATIN):
        try:  # Western text: Windows-1252 (a superset of Latin-1's letters) is by far the most common
            return data.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return str(best)


def load_file(path: Path, max_mb: float = 10.0) -> Loaded:
    """Read one supported file (see module docstring for what is refused)."""
    _check_file(path, max_mb)
    suffix = path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return read_pdf(path)
    if suffix in DOCX_SUFFIXES:
        return read_docx(path)
    data = path.read_bytes()
    if suffix in HTML_SUFFIXES:
        return read_html(path, data)
    return Loaded(decode_bytes(data, name=str(path)))


def load_text(path: Path, max_mb: float = 10.0) -> str:
    """Read one supported file as text (a PDF's pages joined)."""
    return load_file(path, max_mb).text


def _check_file(path: Path, max_mb: float) -> None:
    """The path is a regular file of a supported type, not empty and within the size limit."""
    if not path.exists():
        raise InputError(f"{path}: no such file", hint="check the path")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {path.suffix or '(none)'}",
            hint=f"supported formats: {', '.join(SUPPORTED_SUFFIXES)}",
        )
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        raise InputError(
            f"{path}: {size / 1024 / 1024:.1f} MB is larger than the {max_mb:g} MB limit",
            hint="split the file, or raise RAG_MAX_FILE_MB if you really want it in one piece",
        )
    if size == 0:
        raise InputError(f"{path}: the file is empty", hint="nothing to ingest; add text to it")
