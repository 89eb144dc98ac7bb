"""The ingest manifest: which collections are live, which documents are complete, who is writing.

* **Catalog.** A Chroma collection ``<name>_catalog`` holds no records; its metadata is the
  manifest's head: ``live`` (the chunk collection that queries read; the documents collection
  is ``<live>_docs``), ``stamp`` (changed by every write, so other processes notice and reload)
  and ``dirty`` (a write began and has not finished). ``rag ingest --rebuild`` builds a new
  generation ``<name>.<hex>`` beside the live one and flips ``live`` in one metadata write:
  readers see the old store or the new one, never half of either.
* **Per document.** A document's row in ``<live>_docs`` carries ``state``: ``writing`` from
  before its first chunk is written until both Chroma and the BM25 index hold it, then
  ``complete`` (with ``chunks``, the fingerprint of its chunk ids); ``deleting`` while it goes.
* **One writer at a time**: an exclusive ``flock`` on ``data_dir/locks/<name>.lock``. A reader
  that finds the catalog dirty asks the lock whether a writer is at work ("mid-ingest") or none
  is ("left partial": the next ingest repairs those documents from their stored text).

Shortcut: the lock is a local file, so writers on several hosts sharing one Chroma server must
take turns by other means (docs/deploy.md); readers anywhere see the catalog.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

WRITING, COMPLETE, DELETING = "writing", "complete", "deleting"


def fingerprint(ids) -> str:
    """A short fingerprint of a set of chunk ids (order does not matter)."""
    return hashlib.sha1("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def new_stamp() -> str:
    return os.urandom(8).hex()


@contextmanager
def writer_lock(path: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the store's writer lock; tell ``on_wait`` when another writer has it first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait("another ingest is writing to this store; waiting for it to finish")
            fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def writer_active(path: Path) -> bool:
    """Whether some process (this one included) holds the writer lock now."""
    if not path.exists():
        return False
    with open(path) as f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


@dataclass
class StoreStatus:
    """What a query should tell its reader about the store it read."""

    incomplete: list[str] = field(default_factory=list)  # documents not complete
    writer_active: bool = False

    @property
    def warning(self) -> str | None:
        if not self.incomplete:
            return None
        n = len(self.incomplete)
        names = ", ".join(self.incomplete[:5]) + (", …" if n > 5 else "")
        if self.writer_active:
            return (
                f"an ingest is writing to the store right now: {n} document(s) not complete yet ({names}); "
                "answers from them may miss or mix their newest text"
            )
        return (
            f"the last ingest stopped before it finished: {n} document(s) are incomplete ({names}); "
            "run `rag ingest` again to repair them"
        )
