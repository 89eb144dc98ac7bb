"""Chroma (dense vectors + chunk texts + documents) and the lexical index beside it.

* ``Store.client`` is an embedded ``PersistentClient`` under ``data_dir/chroma``,
  or an ``HttpClient`` when ``RAG_CHROMA_HOST`` is set (a real ``chroma run``).
* Collection ``<name>`` holds chunks with explicit embeddings; its metadata
  records the embedding model and chunking settings, so a query with another
  model is a clear ``ModelMismatchError`` instead of silent garbage.
* Collection ``<name>_docs`` holds each document's cleaned text and structure
  (as JSON, with a 1-d placeholder vector), so everything -- citations, section
  summaries, the lexical index -- can be rebuilt from Chroma alone, which is what
  lets several app processes share one Chroma server.
* The BM25 index lives under ``data_dir/lexical/<name>`` with a fingerprint of the
  chunk ids it covers; a stale or missing index is rebuilt from Chroma on load.
* Which collections are live, which documents are complete and who is writing is the
  manifest (``rag.index.manifest``): readers call ``refresh()`` before each query, which reopens
  the embedded client when another process wrote (its vector segment is loaded once per client)
  and re-resolves the live generation after a rebuild.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from contextlib import contextmanager
from functools import cached_property, partial

from rag.documents import Chunk, Document, Paragraph, Section
from rag.errors import ModelMismatchError, StoreError
from rag.index.lexical import LexicalIndex
from rag.index.manifest import DELETING, WRITING, StoreStatus, fingerprint, new_stamp, writer_active, writer_lock
from rag.settings import Settings

BATCH = 500


def _chroma_settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def document_to_json(doc: Document) -> str:
    return json.dumps(dataclasses.asdict(doc), ensure_ascii=False)


def document_from_json(data: str) -> Document:
    d = json.loads(data)
    paragraphs = [Paragraph(**{**p, "section": tuple(p["section"])}) for p in d["paragraphs"]]
    sections = [Section(**{**s, "path": tuple(s["path"])}) for s in d["sections"]]
    repairs = [tuple(r) for r in d.get("repairs", [])]
    return Document(d["doc_id"], d["source"], d["text"], paragraphs, sections, repairs)


def _doc_filter(doc_ids) -> dict | None:
    ids = list(doc_ids or ())
    if not ids:
        return None
    return {"doc_id": ids[0]} if len(ids) == 1 else {"doc_id": {"$in": ids}}


class Store:
    def __init__(self, settings: Settings, generation: str | None = None):
        self.settings = settings
        self._generation = generation  # a fixed chunk collection: a rebuild's new generation
        self._seen: tuple | None = None  # (live, stamp) of the catalog when this object last looked
        self._dirty = False  # the catalog's dirty flag at that look

    # -- connection -------------------------------------------------------------------
    @cached_property
    def client(self):
        import chromadb

        s = self.settings
        try:
            if s.chroma_host:
                client = chromadb.HttpClient(host=s.chroma_host, port=s.chroma_port, settings=_chroma_settings())
                client.heartbeat()
                return client
            s.chroma_dir.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(s.chroma_dir), settings=_chroma_settings())
        except Exception as exc:  # noqa: BLE001 - chroma raises many kinds for "unreachable"
            where = f"{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.chroma_dir)
            raise StoreError(
                f"cannot open the Chroma store at {where}: {exc}",
                hint="start the server (chroma run --path DIR --port N) or unset RAG_CHROMA_HOST "
                "to use the embedded store",
            ) from exc

    @property
    def location(self) -> str:
        s = self.settings
        return f"http://{s.chroma_host}:{s.chroma_port}" if s.chroma_host else str(s.chroma_dir)

    def _wanted_metadata(self) -> dict:
        s = self.settings
        return {
            "embed_model": s.embed_model,
            "chunk_size": s.chunk_size,
            "chunk_overlap": s.chunk_overlap,
            "hnsw:space": "cosine",
        }

    # -- the manifest's head: live generation, stamp, dirty flag -------------------------------
    @property
    def base(self) -> str:
        return self.settings.collection

    @property
    def lock_path(self):
        return self.settings.data_dir / "locks" / f"{self.base}.lock"

    def _catalog_meta(self) -> dict:
        import chromadb.errors

        def read():
            try:
                return dict(self.client.get_collection(self.base + "_catalog", embedding_function=None).metadata or {})
            except chromadb.errors.NotFoundError:
                return {}

        return self._call(read)

    @cached_property
    def live_name(self) -> str:
        """The chunk collection queries read (its documents live in ``<live_name>_docs``)."""
        if self._generation:
            return self._generation
        meta = self._catalog_meta()
        self._seen = (meta.get("live") or self.base, meta.get("stamp"))
        return self._seen[0]

    def refresh(self) -> tuple:
        """Look at the catalog again; when another writer changed the store since this object last
        looked, reopen (the embedded client keeps the vectors it loaded) and re-resolve the live
        generation. Returns the (live, stamp) pair, which changes with every write."""
        meta = self._catalog_meta()
        seen = (meta.get("live") or self.base, meta.get("stamp"))
        if self._seen is not None and seen != self._seen:
            self._reopen()
        self._seen, self._dirty = seen, bool(meta.get("dirty"))
        return seen

    def _reopen(self) -> None:
        for name in ("chunks", "docs", "live_name") + (() if self.settings.chroma_host else ("client",)):
            self.__dict__.pop(name, None)
        if not self.settings.chroma_host:
            from chromadb.api.shared_system_client import SharedSystemClient

            SharedSystemClient.clear_system_cache()  # the next client gets a fresh system (and vectors)

    def _write_catalog(self, live: str, dirty: bool) -> None:
        stamp = new_stamp()
        meta = {"live": live, "stamp": stamp, "dirty": dirty}
        self._call(lambda: self.client.get_or_create_collection(self.base + "_catalog", embedding_function=None).modify(metadata=meta))
        self._seen = (live, stamp)

    @contextmanager
    def writing(self, on_wait=None):
        """Hold the writer lock; the catalog is dirty until the body ends with every document complete."""
        with writer_lock(self.lock_path, on_wait):
            self.refresh()
            self._write_catalog(self.live_name, dirty=True)
            try:
                yield
            finally:
                try:
                    self._write_catalog(self.live_name, dirty=bool(self.incomplete_documents()))
                except StoreError:
                    pass  # the store went away mid-write: it stays marked dirty

    def status(self, refreshed: bool = False) -> StoreStatus:
        """Whether a query reads a store that is being written, or was left partial by a crash
        (``refreshed``: the catalog was just read by ``refresh()``, so it is not read again)."""
        dirty = self._dirty if refreshed else self._catalog_meta().get("dirty")
        if not dirty:
            return StoreStatus()
        return StoreStatus(sorted(self.incomplete_documents()), writer_active(self.lock_path))

    # -- generations (``--rebuild`` builds beside the live store) ------------------------------
    def beside(self) -> Store:
        """An empty new generation of this store, not seen by queries until ``go_live``."""
        return Store(self.settings, generation=f"{self.base}.{new_stamp()[:8]}")

    def go_live(self, new: Store) -> None:
        """Point queries at ``new`` (one catalog write), then drop the generation it replaces."""
        old = self.live_name
        self._write_catalog(new.live_name, dirty=False)
        for name in ("chunks", "docs", "live_name"):
            self.__dict__.pop(name, None)
        self.drop_generation(old)

    def stale_generations(self) -> list[str]:
        """Generations left by a rebuild that did not finish (or the one a rebuild replaced)."""
        names = [c if isinstance(c, str) else c.name for c in self._call(self.client.list_collections)]
        gens = {n.removesuffix("_docs") for n in names}
        return sorted(g for g in gens if (g == self.base or g.startswith(self.base + ".")) and g != self.live_name)

    def drop_generation(self, name: str) -> None:
        for coll in (name, name + "_docs"):
            try:
                self.client.delete_collection(coll)
            except Exception:  # noqa: BLE001 - already gone is fine
                pass
        shutil.rmtree(self.settings.lexical_dir / name, ignore_errors=True)

    @cached_property
    def chunks(self):
        return self._call(
            lambda: self.client.get_or_create_collection(
                self.live_name, metadata=self._wanted_metadata(), embedding_function=None
            )
        )

    @cached_property
    def docs(self):
        return self._call(
            lambda: self.client.get_or_create_collection(self.live_name + "_docs", embedding_function=None)
        )

    def _call(self, fn):
        try:
            return fn()
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise StoreError(
                f"Chroma at {self.location} failed: {exc}",
                hint="is the Chroma server still running? `rag ingest --rebuild` starts a clean store",
            ) from exc

    def check_compatible(self, for_ingest: bool = False) -> None:
        """Raise ModelMismatchError when the collection was built differently."""
        have = self.chunks.metadata or {}
        want = self._wanted_metadata()
        keys = ["embed_model"] + (["chunk_size", "chunk_overlap"] if for_ingest else [])
        diff = [k for k in keys if k in have and have[k] != want[k]]
        if diff and self.count():
            shown = ", ".join(f"{k}: store has {have[k]!r}, settings say {want[k]!r}" for k in diff)
            raise ModelMismatchError(
                f"the store was built with other settings ({shown})",
                hint="re-ingest with `rag ingest --rebuild` to use the new settings, or set "
                f"RAG_EMBED_MODEL={have.get('embed_model')!r} to query the existing store",
            )

    # -- chunks ---------------------------------------------------------------------------
    def count(self) -> int:
        return self._call(self.chunks.count)

    def chunk_hashes(self, doc_id: str) -> dict[str, str]:
        """chunk id -> content hash for one document."""
        got = self._call(lambda: self.chunks.get(where={"doc_id": doc_id}, include=["metadatas"]))
        return {i: m["content_hash"] for i, m in zip(got["ids"], got["metadatas"])}

    def embeddings_for(self, ids: list[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        got = self._call(lambda: self.chunks.get(ids=ids, include=["embeddings"]))
        return {i: list(map(float, e)) for i, e in zip(got["ids"], got["embeddings"])}

    def upsert_chunks(self, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        for i in range(0, len(chunks), BATCH):
            part, vecs = chunks[i : i + BATCH], vectors[i : i + BATCH]
            self._call(
                partial(
                    self.chunks.upsert,
                    ids=[c.chunk_id for c in part],
                    embeddings=vecs,
                    documents=[c.text for c in part],
                    metadatas=[c.metadata() for c in part],
                )
            )

    def delete_chunks(self, ids: list[str]) -> None:
        for i in range(0, len(ids), BATCH):
            self._call(partial(self.chunks.delete, ids=ids[i : i + BATCH]))

    def get_chunks(self, ids: list[str]) -> dict[str, tuple[str, dict]]:
        if not ids:
            return {}
        got = self._call(lambda: self.chunks.get(ids=ids, include=["documents", "metadatas"]))
        return {i: (d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def all_chunks(self, doc_id: str | None = None) -> list[tuple[str, str, dict]]:
        where = {"doc_id": doc_id} if doc_id else None
        got = self._call(lambda: self.chunks.get(where=where, include=["documents", "metadatas"]))
        rows = list(zip(got["ids"], got["documents"], got["metadatas"]))
        return sorted(rows, key=lambda r: (r[2]["doc_id"], r[2]["start"]))

    def dense_search(self, vector: list[float], k: int, doc_ids=()):
        """[(chunk id, cosine distance, text, metadata)] nearest first; with ``doc_ids``, only
        chunks of those documents."""
        n = self.count()
        if n == 0:
            return []
        got = self._call(
            lambda: self.chunks.query(
                query_embeddings=[vector],
                n_results=min(k, n),
                where=_doc_filter(doc_ids),
                include=["documents", "metadatas", "distances"],
            )
        )
        return list(zip(got["ids"][0], got["distances"][0], got["documents"][0], got["metadatas"][0]))

    # -- documents ------------------------------------------------------------------------
    def put_document(self, doc: Document, state: str = WRITING) -> None:
        """Store a document's text and structure; it stays ``writing`` until ``set_state`` says complete."""
        meta = {"source": doc.source, "content_hash": doc.content_hash, "chars": len(doc.text), "state": state}
        self._call(
            lambda: self.docs.upsert(
                ids=[doc.doc_id], embeddings=[[1.0]], documents=[document_to_json(doc)], metadatas=[meta]
            )
        )

    def set_state(self, doc_ids: list[str], state: str, chunk_fps: dict[str, str] | None = None) -> None:
        """Mark documents in the manifest (``chunk_fps``: the fingerprint of each one's chunk ids)."""
        if not doc_ids:
            return
        got = self._call(lambda: self.docs.get(ids=doc_ids, include=["metadatas"]))
        metas = [{**(m or {}), "state": state, **({"chunks": chunk_fps[i]} if chunk_fps else {})}
                 for i, m in zip(got["ids"], got["metadatas"])]
        if got["ids"]:
            self._call(lambda: self.docs.update(ids=got["ids"], metadatas=metas))

    def document_meta(self, doc_id: str) -> dict | None:
        """The manifest row of one document: source, content_hash, chars, state, chunks."""
        got = self._call(lambda: self.docs.get(ids=[doc_id], include=["metadatas"]))
        return dict(got["metadatas"][0] or {}) if got["ids"] else None

    def document_hash(self, doc_id: str) -> str | None:
        meta = self.document_meta(doc_id)
        return meta.get("content_hash") if meta else None

    def documents_with_hash(self, content_hash: str) -> list[str]:
        """Ids of the stored documents whose cleaned text has this hash (no chunk is read)."""
        got = self._call(lambda: self.docs.get(where={"content_hash": content_hash}, include=[]))
        return list(got["ids"])

    def document_row(self, doc_id: str) -> dict | None:
        """One document as ``list_documents`` lists it (its manifest row and chunk count)."""
        meta = self.document_meta(doc_id)
        return None if meta is None else {"doc_id": doc_id, **meta, "chunks": len(self.chunk_hashes(doc_id))}

    def incomplete_documents(self) -> dict[str, str]:
        """doc id -> state, for documents a write has not finished (``writing`` or ``deleting``)."""
        got = self._call(lambda: self.docs.get(where={"state": {"$in": [WRITING, DELETING]}}, include=["metadatas"]))
        return {i: m["state"] for i, m in zip(got["ids"], got["metadatas"])}

    def get_document(self, doc_id: str) -> Document | None:
        got = self._call(lambda: self.docs.get(ids=[doc_id], include=["documents"]))
        return document_from_json(got["documents"][0]) if got["ids"] else None

    def document_sources(self) -> dict[str, str]:
        """doc id -> the file it was ingested from (documents only; no chunk is read)."""
        got = self._call(lambda: self.docs.get(include=["metadatas"]))
        return {i: (m or {}).get("source", "") for i, m in zip(got["ids"], got["metadatas"])}

    def list_documents(self) -> list[dict]:
        got = self._call(lambda: self.docs.get(include=["metadatas"]))
        counts: dict[str, int] = {}
        for _, _, meta in self.all_chunks():
            counts[meta["doc_id"]] = counts.get(meta["doc_id"], 0) + 1
        rows = [{"doc_id": i, **m, "chunks": counts.get(i, 0)} for i, m in zip(got["ids"], got["metadatas"])]
        return sorted(rows, key=lambda r: r["doc_id"])

    def delete_document(self, doc_id: str) -> int:
        with self.writing():
            return self.finish_delete(doc_id)

    def finish_delete(self, doc_id: str) -> int:
        """Remove a document (marked ``deleting`` first, so a crash midway is finished later)."""
        self.set_state([doc_id], DELETING)
        ids = list(self.chunk_hashes(doc_id))
        self.delete_chunks(ids)
        self.rebuild_lexical()
        self._call(lambda: self.docs.delete(ids=[doc_id]))
        return len(ids)

    # -- lexical index --------------------------------------------------------------------
    @property
    def lexical_dir(self):
        return self.settings.lexical_dir / self.live_name

    def rebuild_lexical(self) -> LexicalIndex:
        rows = self.all_chunks()
        ids = [r[0] for r in rows]
        index = LexicalIndex.build(ids, [f"{m['section']}\n{t}" for _, t, m in rows], [m["doc_id"] for _, _, m in rows])
        index.save(self.lexical_dir, fingerprint(ids))
        return index

    def lexical(self) -> LexicalIndex:
        """The saved BM25 index, rebuilt from Chroma when missing or stale."""
        ids = self._call(lambda: self.chunks.get(include=[]))["ids"]
        loaded = LexicalIndex.load(self.lexical_dir)
        if loaded is not None and loaded[1] == fingerprint(ids):
            return loaded[0]
        return self.rebuild_lexical()
