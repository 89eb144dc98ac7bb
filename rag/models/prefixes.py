"""Saved llama.cpp KV states of prompt starts, so a prompt that begins like one evaluated
before pays only for the rest.

llama.cpp keeps the KV state of the last prompt, so the next one reuses the tokens the two
share: the system prompt. An answer's prompt then holds the best-ranked chunk, whole
(``rag.answering.excerpts``), and a store has a few hundred chunks at most: so
``AnswerChain.warm`` evaluates "system prompt + that chunk as passage [1]" once per chunk and
saves the state here, and ``LocalLlamaChat`` restores, before each call, the saved state that
shares the longest start with its prompt when that beats what the context already holds. A
token's KV depends only on the tokens before it, so an answer is the same with or without a
restored state; only the prefill time differs.

A state is one file under ``<data_dir>/cache/prefixes/<model>/``: the key's token count and
tokens (int32), then the bytes of ``llama_state_seq_get_data`` for sequence 0 (for the bundled
model ~28 KB per token, ~10 MB per state). Beyond ``capacity`` bytes the least recently used
files are deleted. Writes are atomic (temporary file, then rename), so processes sharing the
folder never read half a state.

Shortcuts: every file's tokens are read once per process into memory (the index), and later
files written by another process are not seen until a restart; the longest-start search is a
linear scan of that index (hundreds of keys, well under a millisecond each).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

_HEADER = np.dtype("<i4")


class PrefixStates:
    """KV states of prompt starts in ``folder``, keyed by their tokens."""

    def __init__(self, folder: Path, capacity: int):
        self.folder = folder
        self.capacity = capacity
        self._index: dict[Path, np.ndarray] | None = None

    @property
    def index(self) -> dict[Path, np.ndarray]:
        if self._index is None:
            self._index = {}
            for path in sorted(self.folder.glob("*.kv")):
                tokens = _read_tokens(path)
                if tokens is not None:
                    self._index[path] = tokens
        return self._index

    def has(self, tokens) -> bool:
        return self._path(tokens) in self.index

    def longest(self, tokens) -> tuple[Path | None, int]:
        """The saved state sharing the longest start with ``tokens``, and that length."""
        tokens = np.asarray(tokens, dtype=np.int32)
        best, length = None, 0
        for path, key in self.index.items():
            n = common_prefix(key, tokens)
            if n > length:
                best, length = path, n
        return best, length

    def load(self, path: Path) -> tuple[np.ndarray, bytes] | None:
        """A state's tokens and bytes (None when another process deleted it meanwhile)."""
        try:
            data = path.read_bytes()
            os.utime(path)  # recently used
        except FileNotFoundError:
            self.index.pop(path, None)
            return None
        try:
            n = int(np.frombuffer(data, _HEADER, 1)[0])
            tokens = np.frombuffer(data, _HEADER, n, offset=_HEADER.itemsize).astype(np.int32)
        except ValueError:  # cut short
            self.drop(path)
            return None
        return tokens, data[(n + 1) * _HEADER.itemsize :]

    def save(self, tokens, state: bytes) -> bool:
        """Save a state; False when older ones had to be deleted to make room for it."""
        tokens = np.asarray(tokens, dtype=np.int32)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(tokens)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(np.array([len(tokens)], _HEADER).tobytes())
            f.write(tokens.astype(_HEADER).tobytes())
            f.write(state)
        os.replace(tmp, path)
        self.index[path] = tokens
        return self._evict() == 0

    def drop(self, path: Path) -> None:
        """Forget a state llama.cpp could not restore (another build, another model)."""
        self.index.pop(path, None)
        path.unlink(missing_ok=True)

    def _evict(self) -> int:
        files = []
        for path in list(self.index):
            try:
                st = path.stat()
            except FileNotFoundError:
                self.index.pop(path, None)
                continue
            files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in files)
        dropped = 0
        for _, size, path in sorted(files):
            if total <= self.capacity:
                break
            self.drop(path)
            total -= size
            dropped += 1
        return dropped

    def _path(self, tokens) -> Path:
        digest = hashlib.sha1(np.asarray(tokens, dtype=_HEADER).tobytes()).hexdigest()[:20]
        return self.folder / f"{digest}.kv"


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading tokens ``a`` and ``b`` share."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    differ = np.flatnonzero(a[:n] != b[:n])
    return int(differ[0]) if len(differ) else n


def _read_tokens(path: Path) -> np.ndarray | None:
    try:
        with path.open("rb") as f:
            n = int(np.frombuffer(f.read(_HEADER.itemsize), _HEADER)[0])
            return np.frombuffer(f.read(n * _HEADER.itemsize), _HEADER).astype(np.int32)
    except (OSError, IndexError, ValueError):
        return None
