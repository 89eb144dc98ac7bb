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
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from functools import cached_property, partial

from rag.documents import Chunk, Document, Paragraph, Section
from rag.errors import ModelMismatchError, StoreError
from rag.index.lexical import LexicalIndex
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


class Store:
    def __init__(self, settings: Settings):
        self.settings = settings

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

    @cached_property
    def chunks(self):
        return self._call(
            lambda: self.client.get_or_create_collection(
                self.settings.collection, metadata=self._wanted_metadata(), embedding_function=None
            )
        )

    @cached_property
    def docs(self):
        return self._call(
            lambda: self.client.get_or_create_collection(
                self.settings.collection + "_docs", embedding_function=None
            )
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

    def reset(self) -> None:
        """Delete both collections and the lexical index (``rag ingest --rebuild``)."""
        for name in (self.settings.collection, self.settings.collection + "_docs"):
            try:
                self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - missing collection is fine
                pass
        self.__dict__.pop("chunks", None)
        self.__dict__.pop("docs", None)
        import shutil

        shutil.rmtree(self.lexical_dir, ignore_errors=True)

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

    def dense_search(self, vector: list[float], k: int, doc_id: str | None = None):
        """[(chunk id, cosine distance, text, metadata)] nearest first."""
        n = self.count()
        if n == 0:
            return []
        got = self._call(
            lambda: self.chunks.query(
                query_embeddings=[vector],
                n_results=min(k, n),
                where={"doc_id": doc_id} if doc_id else None,
                include=["documents", "metadatas", "distances"],
            )
        )
        return list(zip(got["ids"][0], got["distances"][0], got["documents"][0], got["metadatas"][0]))

    # -- documents ------------------------------------------------------------------------
    def put_document(self, doc: Document) -> None:
        meta = {"source": doc.source, "content_hash": doc.content_hash, "chars": len(doc.text)}
        self._call(
            lambda: self.docs.upsert(
                ids=[doc.doc_id], embeddings=[[1.0]], documents=[document_to_json(doc)], metadatas=[meta]
            )
        )

    def document_hash(self, doc_id: str) -> str | None:
        got = self._call(lambda: self.docs.get(ids=[doc_id], include=["metadatas"]))
        return got["metadatas"][0]["content_hash"] if got["ids"] else None

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
        ids = list(self.chunk_hashes(doc_id))
        self.delete_chunks(ids)
        self._call(lambda: self.docs.delete(ids=[doc_id]))
        self.rebuild_lexical()
        return len(ids)

    # -- lexical index --------------------------------------------------------------------
    @property
    def lexical_dir(self):
        return self.settings.lexical_dir / self.settings.collection

    def _fingerprint(self, ids: list[str]) -> str:
        return hashlib.sha1("\n".join(sorted(ids)).encode()).hexdigest()

    def rebuild_lexical(self) -> LexicalIndex:
        rows = self.all_chunks()
        ids = [r[0] for r in rows]
        index = LexicalIndex.build(ids, [f"{m['section']}\n{t}" for _, t, m in rows])
        index.save(self.lexical_dir, self._fingerprint(ids))
        return index

    def lexical(self) -> LexicalIndex:
        """The saved BM25 index, rebuilt from Chroma when missing or stale."""
        ids = self._call(lambda: self.chunks.get(include=[]))["ids"]
        loaded = LexicalIndex.load(self.lexical_dir)
        if loaded is not None and loaded[1] == self._fingerprint(ids):
            return loaded[0]
        return self.rebuild_lexical()
