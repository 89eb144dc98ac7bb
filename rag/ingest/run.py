"""The ingest run: files -> cleaned documents -> chunks -> embeddings -> Chroma + BM25.

Idempotent and incremental. Every file is read, decoded and cleaned before
anything is written, so a bad file in a batch fails the batch with a clear
error and leaves the store as it was. Per document, chunks whose id (content +
position) is already stored are skipped; moved chunks reuse their stored vector
(matched by content hash); only new text is embedded; vanished chunks are
deleted. ``rebuild=True`` embeds everything first and only then replaces the store's contents.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.documents import Document
from rag.errors import InputError, ModelError, RagError
from rag.index.embeddings import get_embeddings
from rag.index.store import Store
from rag.ingest.chunking import chunk_document
from rag.ingest.cleaning import clean
from rag.ingest.loaders import iter_input_files, load_text
from rag.settings import Settings, get_settings

EMBED_BATCH = 32
Progress = Callable[[int, int, str], None]  # (done, total, label)


@dataclass
class IngestReport:
    documents: list[str] = field(default_factory=list)
    chunks_total: int = 0
    embedded: int = 0
    reused: int = 0
    unchanged: int = 0
    deleted: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.documents)} document(s), {self.chunks_total} chunks: "
            f"{self.embedded} embedded, {self.reused} moved (vector reused), "
            f"{self.unchanged} unchanged, {self.deleted} deleted"
        )


def doc_id_for(path: Path) -> str:
    return re.sub(r"[^\w.-]+", "_", path.stem, flags=re.UNICODE) or "document"


def doc_ids_for(paths: list[Path], known: dict[str, str] | None = None) -> dict[Path, str]:
    """A document id per file: its name, unless another file of this batch, or a document already
    stored from another file (``known``: id -> source), has that name too -- then the name plus a
    short hash of the file's absolute path, so two different files never share an id (``ingest``
    keeps the plain name when the stored document has the very same text)."""
    names = {p: doc_id_for(p) for p in paths}
    taken = Counter(names.values())
    known = known or {}
    stored = {Path(src).resolve(): i for i, src in known.items() if src}  # a file stored before keeps its id
    out = {}
    for p, name in names.items():
        here = p.resolve()
        elsewhere = bool(known.get(name)) and Path(known[name]).resolve() != here
        unique = f"{name}-{hashlib.sha1(str(here).encode()).hexdigest()[:6]}" if taken[name] > 1 or elsewhere else name
        out[p] = stored.get(here, unique)
    return out


def load_document(path: Path, settings: Settings, doc_id: str | None = None) -> Document:
    raw = load_text(path, max_mb=settings.max_file_mb)
    doc = clean(raw, doc_id or doc_id_for(path), source=str(path.resolve()), title=path.stem)
    if not doc.paragraphs:
        raise InputError(f"{path}: holds headings only, no text to index")
    return doc


def ingest(
    paths: list[Path],
    settings: Settings | None = None,
    rebuild: bool = False,
    progress: Progress | None = None,
    store: Store | None = None,
) -> IngestReport:
    s = settings or get_settings()
    store = store or Store(s)
    files = iter_input_files([Path(p) for p in paths])
    known = {} if rebuild else store.document_sources()
    ids = doc_ids_for(files, known)
    once = Counter(doc_id_for(p) for p in files)
    docs = []
    for p in files:
        doc = load_document(p, s, ids[p])
        name = doc_id_for(p)
        if doc.doc_id != name and once[name] == 1 and name in known and store.document_hash(name) == doc.content_hash:
            doc.doc_id = name  # the same text stored from another folder (a moved or cloned corpus): one document
        docs.append(doc)
    return ingest_documents(docs, s, rebuild=rebuild, progress=progress, store=store)


def ingest_documents(
    docs: list[Document],
    settings: Settings,
    rebuild: bool = False,
    progress: Progress | None = None,
    store: Store | None = None,
) -> IngestReport:
    """Write ``docs`` into the store. Every vector of a document is in hand before anything of it is
    written; with ``rebuild``, every vector of every document is, before the old store is emptied --
    so a dead embedding endpoint leaves the store as it was."""
    store = store or Store(settings)
    embedder = get_embeddings(settings=settings)
    if not rebuild:
        store.check_compatible(for_ingest=True)

    report = IngestReport()
    plans = []
    for doc in docs:
        chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
        old = {} if rebuild else store.chunk_hashes(doc.doc_id)
        new = [c for c in chunks if c.chunk_id not in old]
        by_hash = {h: i for i, h in old.items()}
        reuse = {c.chunk_id: by_hash[c.content_hash] for c in new if c.content_hash in by_hash}
        to_embed = [c for c in new if c.chunk_id not in reuse]
        vanished = [i for i in old if i not in {c.chunk_id for c in chunks}]
        plans.append((doc, chunks, new, reuse, to_embed, vanished))
        report.documents.append(doc.doc_id)
        report.chunks_total += len(chunks)
        report.unchanged += len(chunks) - len(new)

    counter = _Counter(sum(len(p[4]) for p in plans), progress)
    if rebuild:
        vectors = [_embed(embedder, plan[0], plan[4], counter) for plan in plans]  # may fail: nothing touched yet
        store.reset()
        for (doc, _chunks, new, _reuse, to_embed, _vanished), got in zip(plans, vectors):
            store.upsert_chunks(new, [got[c.chunk_id] for c in new])
            store.put_document(doc)
            report.embedded += len(to_embed)
        store.rebuild_lexical()
        return report
    changed = False
    for doc, _chunks, new, reuse, to_embed, vanished in plans:
        vectors = _embed(embedder, doc, to_embed, counter)
        old_vectors = store.embeddings_for(sorted(set(reuse.values())))
        vectors.update({cid: old_vectors[oid] for cid, oid in reuse.items()})
        if not new and not vanished and store.document_hash(doc.doc_id) == doc.content_hash:
            continue  # unchanged: write nothing
        # Write only after every vector of this document is in hand.
        changed = True
        if new:
            store.upsert_chunks(new, [vectors[c.chunk_id] for c in new])
        if vanished:
            store.delete_chunks(vanished)
        store.put_document(doc)
        report.embedded += len(to_embed)
        report.reused += len(reuse)
        report.deleted += len(vanished)
    if changed:
        store.rebuild_lexical()
    return report


@dataclass
class _Counter:
    """Embedding progress over the whole run."""

    total: int
    progress: Progress | None
    done: int = 0

    def __post_init__(self) -> None:
        if self.progress:
            self.progress(0, self.total, "embedding")

    def add(self, n: int, label: str) -> None:
        self.done += n
        if self.progress:
            self.progress(self.done, self.total, label)


def _embed(embedder, doc: Document, chunks: list, counter: _Counter) -> dict[str, list[float]]:
    vectors: dict[str, list[float]] = {}
    for i in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[i : i + EMBED_BATCH]
        try:
            got = embedder.embed_documents([c.index_text for c in batch])
        except RagError:
            raise
        except Exception as exc:  # noqa: BLE001 - endpoint/model failures become readable
            raise ModelError(
                f"embedding failed for {doc.doc_id}: {exc}",
                hint="check RAG_EMBED_MODEL (and RAG_OPENAI_BASE_URL for openai:*); "
                "nothing was written for this document (with --rebuild: the store is as it was)",
            ) from exc
        vectors.update({c.chunk_id: v for c, v in zip(batch, got)})
        counter.add(len(batch), doc.doc_id)
    return vectors
