"""The ingest run: files -> cleaned documents -> chunks -> embeddings -> Chroma + BM25.

Idempotent and incremental. Every file is read, decoded and cleaned before
anything is written, so a bad file in a batch fails the batch with a clear
error and leaves the store as it was. Per document, chunks whose id (content +
position) is already stored are skipped; moved chunks reuse their stored vector
(matched by content hash); only new text is embedded; vanished chunks are
deleted. ``rebuild=True`` embeds everything first, builds a new generation beside the live
store and swaps it in. Writes hold the store's writer lock and keep the manifest
(``rag.index.manifest``): a crash leaves documents marked incomplete, which queries
report and the next ingest repairs.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.documents import Document
from rag.errors import InputError, ModelError, RagError
from rag.index.embeddings import get_embeddings
from rag.index.manifest import COMPLETE, WRITING, fingerprint
from rag.index.store import Store
from rag.ingest.chunking import chunk_document
from rag.ingest.cleaning import clean, clean_pages
from rag.ingest.loaders import iter_input_files, load_file
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
    """Read and clean one file; its title is the one the file names (PDF/DOCX/HTML metadata), else its stem."""
    loaded = load_file(path, max_mb=settings.max_file_mb)
    doc_id, source, title = doc_id or doc_id_for(path), str(path.resolve()), loaded.title or path.stem
    if loaded.pages:
        doc = clean_pages(loaded.pages, doc_id, source=source, title=title)
    else:
        doc = clean(loaded.text, doc_id, source=source, title=title, join_breaks=loaded.join_breaks)
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
    """Write ``docs`` into the store, holding its writer lock. Every vector of a document is in hand
    before anything of it is written. A document is marked complete in the manifest only once
    Chroma and the BM25 index both hold it; documents a crashed ingest left incomplete are first
    repaired from their stored text. ``rebuild`` builds a new generation beside the live store and
    swaps it in only when it is whole, so a failure at any point leaves the live store as it was."""
    store = store or Store(settings)
    embedder = get_embeddings(settings=settings)
    wait = (lambda m: progress(0, 0, m)) if progress else None
    with store.writing(on_wait=wait):
        for gen in store.stale_generations():
            store.drop_generation(gen)  # left by a rebuild that did not finish
        if rebuild:
            return _rebuild(docs, settings, embedder, progress, store)
        store.check_compatible(for_ingest=True)
        return _update(docs + _unfinished(store, docs), settings, embedder, progress, store)


def _unfinished(store: Store, docs: list[Document]) -> list[Document]:
    """Documents an earlier ingest left half-written, from their stored text (a half-done delete
    is finished here); the batch's own version of a document wins."""
    batch = {d.doc_id for d in docs}
    out = []
    for doc_id, state in store.incomplete_documents().items():
        if doc_id in batch:
            continue
        stored = store.get_document(doc_id) if state == WRITING else None
        if stored is None:
            store.finish_delete(doc_id)
        else:
            out.append(stored)
    return out


def _plan(doc: Document, settings: Settings, old: dict[str, str]):
    chunks = chunk_document(doc, settings.chunk_size, settings.chunk_overlap)
    new = [c for c in chunks if c.chunk_id not in old]
    by_hash = {h: i for i, h in old.items()}
    reuse = {c.chunk_id: by_hash[c.content_hash] for c in new if c.content_hash in by_hash}
    to_embed = [c for c in new if c.chunk_id not in reuse]
    ids = {c.chunk_id for c in chunks}
    vanished = [i for i in old if i not in ids]
    return chunks, new, reuse, to_embed, vanished


def _rebuild(docs, settings, embedder, progress, store: Store) -> IngestReport:
    report = IngestReport()
    plans = [(doc, *_plan(doc, settings, {})) for doc in docs]
    counter = _Counter(sum(len(p[4]) for p in plans), progress)
    vectors = [_embed(embedder, plan[0], plan[4], counter) for plan in plans]  # may fail: nothing written yet
    fresh = store.beside()
    for (doc, chunks, _new, _reuse, _to_embed, _vanished), got in zip(plans, vectors):
        fresh.put_document(doc, WRITING)
        fresh.upsert_chunks(chunks, [got[c.chunk_id] for c in chunks])
        report.documents.append(doc.doc_id)
        report.chunks_total += len(chunks)
        report.embedded += len(chunks)
    fresh.rebuild_lexical()
    fresh.set_state([d.doc_id for d in docs], COMPLETE, {p[0].doc_id: fingerprint(c.chunk_id for c in p[1]) for p in plans})
    store.go_live(fresh)
    return report


def _update(docs, settings, embedder, progress, store: Store) -> IngestReport:
    report = IngestReport()
    plans = []
    for doc in docs:
        chunks, new, reuse, to_embed, vanished = _plan(doc, settings, store.chunk_hashes(doc.doc_id))
        plans.append((doc, chunks, new, reuse, to_embed, vanished))
        report.documents.append(doc.doc_id)
        report.chunks_total += len(chunks)
        report.unchanged += len(chunks) - len(new)
    counter = _Counter(sum(len(p[4]) for p in plans), progress)
    written: dict[str, str] = {}  # doc id -> fingerprint of its chunk ids
    try:
        for doc, chunks, new, reuse, to_embed, vanished in plans:
            vectors = _embed(embedder, doc, to_embed, counter)
            old_vectors = store.embeddings_for(sorted(set(reuse.values())))
            vectors.update({cid: old_vectors[oid] for cid, oid in reuse.items()})
            meta = store.document_meta(doc.doc_id) or {}
            if not new and not vanished and meta.get("content_hash") == doc.content_hash and meta.get("state", COMPLETE) == COMPLETE:
                continue  # unchanged and complete: write nothing
            # Write only after every vector of this document is in hand; the manifest says
            # "writing" from before its first chunk until the BM25 index holds it too.
            store.put_document(doc, WRITING)
            if new:
                store.upsert_chunks(new, [vectors[c.chunk_id] for c in new])
            if vanished:
                store.delete_chunks(vanished)
            written[doc.doc_id] = fingerprint(c.chunk_id for c in chunks)
            report.embedded += len(to_embed)
            report.reused += len(reuse)
            report.deleted += len(vanished)
    except BaseException:  # what was written is finished even when a later document failed
        with contextlib.suppress(RagError):
            _finish(store, written)
        raise
    _finish(store, written)
    return report


def _finish(store: Store, written: dict[str, str]) -> None:
    if written:
        store.rebuild_lexical()
        store.set_state(list(written), COMPLETE, written)


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
