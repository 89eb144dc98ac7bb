"""The evaluation runner behind ``rag eval`` (formats: ``docs/eval-format.md``).

Runs each question of a set through retrieval (``--retrieval-only``) or the full
answer chain, or every section through the summariser, and returns one result record
per item (the ``results.jsonl`` rows) for ``metrics`` to aggregate and ``report`` to write.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rag.errors import InputError
from rag.eval.metrics import answer_metrics, mean, retrieval_metrics, summary_metrics
from rag.eval.questions import Question
from rag.index.retriever import Context

Progress = Callable[[int, int, str], None]


def run_retrieval(
    questions: list[Question], retriever, budget: int, progress: Progress | None = None
) -> list[dict]:
    results = []
    hits = 0
    scored = 0
    for i, q in enumerate(questions, 1):
        retriever.doc_ids = (q.doc,) if q.doc else ()
        t0 = time.perf_counter()
        docs = retriever.invoke(q.question)
        took = time.perf_counter() - t0
        contexts = [Context.from_document(d) for d in docs]
        metrics = retrieval_metrics(q, [c.text for c in contexts], budget)
        if metrics:
            scored += 1
            hits += metrics["evidence_hit"]
        results.append(
            {
                **_labels(q),
                "answer": None,
                "refused": None,
                "citations": [],
                "contexts": [c.to_dict() for c in contexts],
                "timings": {"retrieve_s": round(took, 4)},
                "metrics": metrics,
            }
        )
        if progress:
            progress(i, len(questions), f"evidence recall {hits}/{scored}")
    return results


def _labels(q: Question) -> dict:
    return {"id": q.id, "question": q.question, "type": q.type, "split": q.split, "answerable": q.answerable,
            "near_miss": q.near_miss, "twin_of": q.twin_of}


def answer_record(q: Question, answer, budget: int) -> dict:
    """The results row of one answered question (the ``Answer`` as JSON plus the question's labels), scored."""
    record = {**_labels(q), **{k: v for k, v in answer.to_dict().items() if k != "question"}}
    record["metrics"] = answer_metrics(q, record, budget)
    return record


def run_answers(questions: list[Question], chain, budget: int, progress: Progress | None = None) -> list[dict]:
    results = []
    right = 0
    for i, q in enumerate(questions, 1):
        chain.retriever.doc_ids = (q.doc,) if q.doc else ()
        record = answer_record(q, chain.invoke(q.question), budget)
        right += record["metrics"]["correct"]
        results.append(record)
        if progress:
            progress(i, len(questions), f"correct {right}/{i}")
    return results


def rescore(questions: list[Question], results: list[dict], budget: int) -> list[dict]:
    """Score an earlier run's ``results.jsonl`` rows again (after a key fact was corrected, or
    with new metrics) without asking anything; rows are matched to questions by id."""
    by_id = {r["id"]: r for r in results}
    missing = [q.id for q in questions if q.id not in by_id]
    if missing:
        raise InputError(f"the results hold no row for {', '.join(missing[:5])}", hint="rescore the run's own question set")
    out = []
    for q in questions:
        record = {**by_id[q.id], **_labels(q)}
        record["metrics"] = answer_metrics(q, record, budget)
        out.append(record)
    return out


def run_summaries(keypoints: list[dict], settings, llm=None, progress=None, refresh=False) -> tuple[list[dict], dict]:
    from rag.index.store import Store
    from rag.summaries import Summarizer

    summarizer = Summarizer(settings, llm=llm)
    doc_id = summarizer.resolve_doc(None)
    chunk_text = {cid: text for cid, text, _ in Store(settings).all_chunks(doc_id)}
    t0 = time.perf_counter()
    summaries = summarizer.run(doc_id, all_sections=True, refresh=refresh, progress=progress)
    total_s = time.perf_counter() - t0
    by_section = {s.section: s for s in summaries}
    results = []
    for kp in keypoints:
        path = summarizer.resolve_section(doc_id, kp["section"])
        s = by_section[" / ".join(path)]
        results.append(
            {"id": kp["id"], "section": s.section, "summary": s.summary,
             "citations": [c.to_dict() for c in s.citations], "regenerated": s.regenerated,
             "dropped": s.dropped, "metrics": summary_metrics(s, kp["keypoints"], chunk_text)}
        )
    doc = by_section[""]
    doc_m = summary_metrics(doc, [], chunk_text)
    all_m = [r["metrics"] for r in results]
    agg = {
        "sections": len(results),
        "coverage": mean([m["coverage"] for m in all_m]),
        "valid_citation_share": mean([m["valid_citation_share"] for m in all_m] + [doc_m["valid_citation_share"]]),
        "unsupported_numbers": sum(m["unsupported_numbers"] for m in all_m) + doc_m["unsupported_numbers"],
        "summarized_sections": len(summaries) - 1,
        "total_seconds": round(total_s, 2),
        "all_cached": all(s.cached for s in summaries[:-1]),
        "document_summary_chars": len(doc.summary),
    }
    results.append({"id": "document", "section": "", "summary": doc.summary,
                    "citations": [c.to_dict() for c in doc.citations], "metrics": doc_m})
    return results, agg
