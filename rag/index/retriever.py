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

from rag.errors import ModelError, RagError, StoreError
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

    @classmethod
    def from_document(cls, doc: LCDocument) -> Context:
        m = doc.metadata
        return cls(
            chunk_id=m.get("chunk_id"), doc_id=m.get("doc_id"), section=m.get("section"), text=doc.page_content,
            start=m.get("start"), end=m.get("end"), score=m.get("score"), bm25_rank=m.get("bm25_rank"),
            dense_rank=m.get("dense_rank"),
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
    doc_id: str | None = None
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

    def sync(self) -> None:
        """Follow writes by other processes: reload the BM25 index when the store changed."""
        stamp = self.store.refresh()
        if stamp != self.stamp or self.lexical_index is None:
            self.lexical_index = self.store.lexical()
            self.stamp = stamp
        self.warning = self.store.status().warning

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun | None = None
    ) -> list[LCDocument]:
        if not query.strip():
            return []
        self.sync()
        ranks: dict[str, dict[str, int]] = {}
        texts: dict[str, tuple[str, dict]] = {}
        if self.mode in ("hybrid", "bm25"):
            index = self.lexical_index
            hits = index.search(query, self.candidates * (3 if self.doc_id else 1))
            if self.doc_id:
                meta = self.store.get_chunks([h[0] for h in hits])
                hits = [h for h in hits if h[0] in meta and meta[h[0]][1]["doc_id"] == self.doc_id]
            for rank, (cid, _) in enumerate(hits[: self.candidates], 1):
                ranks.setdefault(cid, {})["bm25"] = rank
        if self.mode in ("hybrid", "dense"):
            try:
                vector = self.embeddings.embed_query(query)
            except RagError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise ModelError(f"embedding the query failed: {exc}", hint="check RAG_EMBED_MODEL") from exc
            for rank, (cid, _dist, text, meta) in enumerate(
                self.store.dense_search(vector, self.candidates, self.doc_id), 1
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
