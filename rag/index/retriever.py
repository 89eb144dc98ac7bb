"""Hybrid retrieval as a LangChain ``BaseRetriever``: BM25 + dense, fused by RRF.

Each half returns up to ``candidates`` chunks; reciprocal rank fusion scores a
chunk ``sum(1 / (rrf_k + rank))`` over the halves that found it. Results are
LangChain ``Document``s whose metadata carries the chunk id, document id,
section, offsets, the fused ``score`` and both component ranks (``bm25_rank``,
``dense_rank``; ``None`` when that half did not find it). ``mode`` switches to
BM25-only or dense-only for benchmarks and debugging.

Before each query the store is refreshed (``Store.refresh``): documents another process
ingested are found by both halves without a restart, and ``warning`` says when the store is
being written or was left partial by a crash.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.errors import InputError, ModelError, RagError, StoreError
from rag.index.lexical import LexicalIndex
from rag.index.store import Store


@dataclass
class Context:
    """One retrieved chunk as the answer chain, the UI, the API and the eval see it."""

    chunk_id: str
    doc_id: str
    section: str
    text: str
    start: int
    end: int
    score: float | None = None
    bm25_rank: int | None = None
    dense_rank: int | None = None
    page: int | None = None  # PDF page the chunk starts on

    @classmethod
    def from_document(cls, doc: LCDocument) -> Context:
        m = doc.metadata
        return cls(
            chunk_id=m.get("chunk_id"), doc_id=m.get("doc_id"), section=m.get("section"), text=doc.page_content,
            start=m.get("start"), end=m.get("end"), score=m.get("score"), bm25_rank=m.get("bm25_rank"),
            dense_rank=m.get("dense_rank"), page=m.get("page"),
        )

    def to_dict(self) -> dict:
        return asdict(self)


def within_budget(texts: list[str], budget: int) -> list[str]:
    """The leading texts whose total length fits in ``budget`` characters (at least one)."""
    taken, used = [], 0
    for t in texts:
        if taken and used + len(t) > budget:
            break
        taken.append(t)
        used += len(t)
    return taken


class HybridRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: Any
    embeddings: Embeddings
    k: int = 6
    candidates: int = 20
    rrf_k: int = 60
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    doc_ids: tuple[str, ...] = ()  # only chunks of these documents (all when empty)
    lexical_index: LexicalIndex | None = None
    stamp: tuple | None = None  # the store's (live, stamp) when ``lexical_index`` was loaded
    warning: str | None = None  # about the store the last query read (mid-ingest, left partial)

    @classmethod
    def from_settings(cls, settings, store: Store | None = None, **kw) -> HybridRetriever:
        from rag.index.embeddings import get_embeddings

        store = store or Store(settings)
        store.check_compatible()
        if store.count() == 0:
            raise StoreError(
                f"the store at {store.location} is empty", hint="run `rag ingest` (or `make run`) first"
            )
        params = dict(k=settings.top_k, candidates=settings.candidates, rrf_k=settings.rrf_k)
        params.update(kw)
        stamp = store.refresh()
        return cls(
            store=store, embeddings=get_embeddings(settings=settings), lexical_index=store.lexical(), stamp=stamp,
            **params,
        )

    def scoped(self, doc_ids) -> HybridRetriever:
        """This retriever limited to some documents (a copy; the indexes are shared). Unknown
        ids are an ``InputError`` that names them."""
        doc_ids = tuple(dict.fromkeys(doc_ids or ()))
        if not doc_ids:
            return self
        known = self.store.document_sources()
        missing = [d for d in doc_ids if d not in known]
        if missing:
            raise InputError(
                f"no such document: {', '.join(missing)}",
                hint="list the documents with `rag docs` (or GET /v1/documents)",
            )
        return self.model_copy(update={"doc_ids": doc_ids})

    def sync(self) -> None:
        """Follow writes by other processes: reload the BM25 index when the store changed."""
        stamp = self.store.refresh()
        if stamp != self.stamp or self.lexical_index is None:
            self.lexical_index = self.store.lexical()
            self.stamp = stamp
        self.warning = self.store.status(refreshed=True).warning

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None
    ) -> list[LCDocument]:
        if not query.strip():
            return []
        self.sync()
        ranks: dict[str, dict[str, int]] = {}
        texts: dict[str, tuple[str, dict]] = {}
        if self.mode in ("hybrid", "bm25"):
            hits = self.lexical_index.search(query, self.candidates, self.doc_ids)
            for rank, (cid, _) in enumerate(hits, 1):
                ranks.setdefault(cid, {})["bm25"] = rank
        if self.mode in ("hybrid", "dense"):
            try:
                vector = self.embeddings.embed_query(query)
            except RagError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise ModelError(f"embedding the query failed: {exc}", hint="check RAG_EMBED_MODEL") from exc
            for rank, (cid, _dist, text, meta) in enumerate(
                self.store.dense_search(vector, self.candidates, self.doc_ids), 1
            ):
                ranks.setdefault(cid, {})["dense"] = rank
                texts[cid] = (text, meta)
        scores = {cid: sum(1.0 / (self.rrf_k + r) for r in rr.values()) for cid, rr in ranks.items()}
        best = sorted(scores, key=lambda c: (-scores[c], min(ranks[c].values())))[: self.k]
        missing = [c for c in best if c not in texts]
        texts.update(self.store.get_chunks(missing))
        out = []
        for cid in best:
            text, meta = texts[cid]
            out.append(
                LCDocument(
                    page_content=text,
                    metadata={
                        **meta,
                        "chunk_id": cid,
                        "score": round(scores[cid], 6),
                        "bm25_rank": ranks[cid].get("bm25"),
                        "dense_rank": ranks[cid].get("dense"),
                    },
                )
            )
        return out
