"""Read files from disk into text, refusing what cannot be ingested.

Supported now: plain text and Markdown (``.txt``, ``.md``, ``.markdown``).
Decoding tries UTF-8 first, then asks ``charset-normalizer`` (which covers GBK /
GB18030, Big5 and the rest). Empty, binary, oversized and undecodable files are
``InputError``s that name the file and say what to do -- never a traceback.
Shortcut: binary detection is a NUL-byte / control-character heuristic on the
first 8 KB, which is what ``file`` and git do too.
"""

from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from rag.errors import InputError

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown")


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
                    hint="point at a folder of text or Markdown files",
                )
            files.extend(found)
        else:
            files.append(path)
    return files


def _looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\x00" in head:
        return True
    control = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return control > len(head) * 0.05


def decode_bytes(data: bytes, name: str = "input") -> str:
    """Bytes -> str, or an InputError saying why not."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty", hint="nothing to ingest; add text to it")
    if _looks_binary(data):
        raise InputError(
            f"{name}: looks like a binary file, not text",
            hint=f"supported formats: {', '.join(SUPPORTED_SUFFIXES)} (UTF-8 or GBK text)",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise InputError(
            f"{name}: cannot tell the text encoding",
            hint="save the file as UTF-8 and ingest it again",
        )
    text = str(best)
    if best.encoding.lower() in ("gb2312", "gbk"):  # GB18030 is the safe superset
        text = data.decode("gb18030", errors="strict")
    return text


def load_text(path: Path, max_mb: float = 10.0) -> str:
    """Read one supported file as text (see module docstring for what is refused)."""
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
    return decode_bytes(path.read_bytes(), name=str(path))
