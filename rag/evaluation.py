"""The evaluation runner behind ``rag eval`` (formats: ../shared/EVAL_FORMAT.md).

Reads a question set (JSONL, or YAML with the same fields), runs each question
through retrieval (``--retrieval-only``) or the full answer chain, and writes
``results.jsonl`` (one object per question, input order), ``summary.json``
(aggregates) and ``report.md`` (readable). Text matching follows the spec:
NFKC, all whitespace removed, case folded, then substring.
"""

from __future__ import annotations

import json
import re
import statistics
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError


def norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).casefold()


def contains(haystack: str, needle: str) -> bool:
    return norm(needle) in norm(haystack)


@dataclass
class Question:
    id: str
    question: str
    answerable: bool = True
    answers: list[list[str]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    type: str | None = None
    doc: str | None = None


def _read_records(path: Path) -> list[dict]:
    if not path.exists():
        raise InputError(f"{path}: no such question file")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or []
        if isinstance(data, dict):
            data = data.get("questions") or data.get("items") or [data]
        return list(data)
    records = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
    return records


def load_questions(path: Path) -> list[Question]:
    out, seen = [], set()
    for n, rec in enumerate(_read_records(Path(path)), 1):
        if not isinstance(rec, dict) or "id" not in rec or "question" not in rec:
            raise InputError(f"{path}: item {n} needs at least 'id' and 'question'")
        qid = str(rec["id"])
        if qid in seen:
            raise InputError(f"{path}: duplicate id {qid!r}")
        seen.add(qid)
        answers = [[a] if isinstance(a, str) else [str(x) for x in a] for a in rec.get("answers") or []]
        out.append(
            Question(
                id=qid,
                question=str(rec["question"]),
                answerable=bool(rec.get("answerable", True)),
                answers=answers,
                evidence=[str(e) for e in rec.get("evidence") or []],
                type=rec.get("type"),
                doc=rec.get("doc"),
            )
        )
    if not out:
        raise InputError(f"{path}: holds no questions")
    return out


def within_budget(texts: list[str], budget: int) -> list[str]:
    """The leading texts whose total length fits in ``budget`` characters (at least one)."""
    taken, used = [], 0
    for t in texts:
        if taken and used + len(t) > budget:
            break
        taken.append(t)
        used += len(t)
    return taken


def retrieval_metrics(q: Question, contexts: list[str], budget: int) -> dict:
    if not q.answerable or not q.evidence:
        return {}
    rank = next(
        (i for i, c in enumerate(contexts, 1) if any(contains(c, e) for e in q.evidence)), None
    )
    kept = within_budget(contexts, budget)
    joined = "".join(kept)
    hit = any(contains(joined, e) for e in q.evidence)
    return {
        "evidence_hit": hit,
        "rank": rank,
        "hit@1": rank == 1,
        "hit@3": rank is not None and rank <= 3,
        "rr": 1.0 / rank if rank else 0.0,
    }


def context_record(doc) -> dict:
    m = doc.metadata
    return {
        "chunk_id": m.get("chunk_id"),
        "doc_id": m.get("doc_id"),
        "section": m.get("section"),
        "text": doc.page_content,
        "score": m.get("score"),
        "bm25_rank": m.get("bm25_rank"),
        "dense_rank": m.get("dense_rank"),
        "start": m.get("start"),
        "end": m.get("end"),
    }


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    idx = min(len(values) - 1, max(0, round(q * (len(values) - 1))))
    return round(values[idx], 4)


def mean(values: list) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def summarize_retrieval(results: list[dict], budget: int) -> dict:
    scored = [r["metrics"] for r in results if "hit@1" in r["metrics"]]
    times = [r["timings"]["retrieve_s"] for r in results]
    by_type: dict[str, dict] = {}
    for r in results:
        t = r.get("type") or "untyped"
        if "hit@1" in r["metrics"]:
            by_type.setdefault(t, []).append(r["metrics"])
    return {
        "questions": len(results),
        "scored": len(scored),
        "hit@1": mean([m["hit@1"] for m in scored]),
        "hit@3": mean([m["hit@3"] for m in scored]),
        "mrr": mean([m["rr"] for m in scored]),
        f"evidence_recall@{budget}": mean([m["evidence_hit"] for m in scored]),
        "retrieve_p50_s": pct(times, 0.5),
        "retrieve_p95_s": pct(times, 0.95),
        "by_type": {
            t: {
                "n": len(ms),
                "hit@1": mean([m["hit@1"] for m in ms]),
                "hit@3": mean([m["hit@3"] for m in ms]),
                f"evidence_recall@{budget}": mean([m["evidence_hit"] for m in ms]),
            }
            for t, ms in sorted(by_type.items())
        },
    }


def run_retrieval(
    questions: list[Question], retriever, budget: int, progress: Callable[[int, int, str], None] | None = None
) -> list[dict]:
    results = []
    hits = 0
    scored = 0
    for i, q in enumerate(questions, 1):
        retriever.doc_id = q.doc
        t0 = time.perf_counter()
        docs = retriever.invoke(q.question)
        took = time.perf_counter() - t0
        contexts = [context_record(d) for d in docs]
        metrics = retrieval_metrics(q, [c["text"] for c in contexts], budget)
        if metrics:
            scored += 1
            hits += metrics["evidence_hit"]
        results.append(
            {
                "id": q.id,
                "question": q.question,
                "type": q.type,
                "answerable": q.answerable,
                "answer": None,
                "refused": None,
                "citations": [],
                "contexts": contexts,
                "timings": {"retrieve_s": round(took, 4)},
                "metrics": metrics,
            }
        )
        if progress:
            progress(i, len(questions), f"evidence recall {hits}/{scored}")
    return results


def write_outputs(out_dir: Path, results: list[dict], summary: dict, title: str) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(render_report(results, summary, title), encoding="utf-8")


def render_report(results: list[dict], summary: dict, title: str) -> str:
    lines = [f"# {title}", "", "| metric | value |", "|---|---|"]
    for k, v in summary.items():
        if not isinstance(v, dict):
            lines.append(f"| {k} | {v} |")
    if summary.get("by_type"):
        keys = sorted({k for d in summary["by_type"].values() for k in d})
        lines += ["", "## By type", "", "| type | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for t, d in summary["by_type"].items():
            lines.append(f"| {t} | " + " | ".join(str(d.get(k)) for k in keys) + " |")
    misses = [r for r in results if r["metrics"] and not r["metrics"].get("evidence_hit", True)]
    wrong = [r for r in results if r["metrics"].get("correct") is False]
    if misses:
        lines += ["", "## Evidence not retrieved", ""]
        lines += [f"- `{r['id']}` {r['question']}" for r in misses]
    if wrong:
        lines += ["", "## Wrong answers", ""]
        for r in wrong:
            lines.append(f"- `{r['id']}` {r['question']}\n  - answer: {r['answer']}")
    return "\n".join(lines) + "\n"


# -- answers --------------------------------------------------------------------------------
def answer_metrics(q: Question, answer, budget: int) -> dict:
    """Per-question answer metrics (see module docstring and EVAL_FORMAT.md)."""
    from .citations import numbers, parse_sentences

    contexts = {i: c["text"] for i, c in enumerate(answer.contexts, 1)}
    m = retrieval_metrics(q, list(contexts.values()), budget)
    if q.answerable:
        m["correct"] = (not answer.refused) and all(
            any(contains(answer.text, alt) for alt in group) for group in q.answers
        )
    else:
        m["correct"] = bool(answer.refused)
    if answer.refused:
        return m
    cited_numbers_ok = True
    good = 0
    by_n = {c.n: c for c in answer.citations}
    sentences = parse_sentences(answer.text)
    for n, cit in by_n.items():
        chunk = contexts.get(n, "")
        users = [s for s, ns in sentences if n in ns]
        quote_ok = bool(cit.quote) and cit.quote in chunk
        supports = any(numbers(s) <= numbers(chunk) for s in users)
        good += quote_ok and supports and bool(users)
    for s, ns in sentences:
        blob = "".join(contexts.get(n, "") for n in ns)
        if not numbers(s) <= numbers(blob):
            cited_numbers_ok = False
    m["citation_precision"] = round(good / len(by_n), 4) if by_n else 0.0
    m["numbers_supported"] = cited_numbers_ok
    return m


def run_answers(
    questions: list[Question], chain, budget: int, progress: Callable[[int, int, str], None] | None = None
) -> list[dict]:
    results = []
    right = 0
    for i, q in enumerate(questions, 1):
        chain.retriever.doc_id = q.doc
        answer = chain.invoke(q.question)
        metrics = answer_metrics(q, answer, budget)
        right += metrics["correct"]
        t = answer.timings
        results.append(
            {
                "id": q.id,
                "question": q.question,
                "type": q.type,
                "answerable": q.answerable,
                "answer": answer.text,
                "refused": answer.refused,
                "citations": [c.to_dict() for c in answer.citations],
                "contexts": answer.contexts,
                "timings": {k: t.get(k) for k in ("retrieve_s", "answer_s", "ttft_s")},
                "metrics": metrics,
                "raw_answer": answer.raw_answer,
                "dropped": answer.dropped,
            }
        )
        if progress:
            progress(i, len(questions), f"correct {right}/{i}")
    return results


def summarize_answers(results: list[dict], budget: int) -> dict:
    summary = summarize_retrieval(results, budget)
    ans = [r for r in results if r["answerable"]]
    una = [r for r in results if not r["answerable"]]
    answered = [r for r in results if r["refused"] is False]
    ttft = [r["timings"]["ttft_s"] for r in results if r["timings"].get("ttft_s") is not None]
    total = [r["timings"]["answer_s"] for r in results if r["timings"].get("answer_s") is not None]
    summary.update(
        {
            "correct_answerable": mean([r["metrics"]["correct"] for r in ans]),
            "refusal_accuracy_unanswerable": mean([r["metrics"]["correct"] for r in una]),
            "false_refusal_rate": mean([bool(r["refused"]) for r in ans]),
            "citation_precision": mean([r["metrics"]["citation_precision"] for r in answered]),
            "numbers_supported": mean([r["metrics"]["numbers_supported"] for r in answered]),
            "ttft_p50_s": pct(ttft, 0.5),
            "ttft_p95_s": pct(ttft, 0.95),
            "answer_p50_s": pct(total, 0.5),
            "answer_p95_s": pct(total, 0.95),
        }
    )
    by_type: dict[str, list] = {}
    for r in results:
        by_type.setdefault(r.get("type") or "untyped", []).append(r)
    for t, rs in by_type.items():
        summary["by_type"].setdefault(t, {"n": len(rs)})
        summary["by_type"][t]["correct"] = mean([r["metrics"]["correct"] for r in rs])
    return summary


def check_thresholds(summary: dict, fail_under: list[str]) -> list[str]:
    """``["correct_answerable=0.85", ...]`` -> the failures, as readable lines."""
    failures = []
    for item in fail_under:
        key, _, value = item.partition("=")
        if key not in summary or not value:
            raise InputError(f"--fail-under {item!r}: use METRIC=VALUE with a metric of summary.json")
        got = summary[key]
        higher_is_worse = key.startswith(("false_refusal", "unsupported")) or key.endswith(("_s", "seconds"))
        bad = got is None or (got > float(value) if higher_is_worse else got < float(value))
        if bad:
            failures.append(f"{key} = {got} (threshold {value})")
    return failures


# -- summaries -------------------------------------------------------------------------------
def load_keypoints(path: Path) -> list[dict]:
    rows = []
    for n, rec in enumerate(_read_records(Path(path)), 1):
        if not isinstance(rec, dict) or "section" not in rec or "keypoints" not in rec:
            raise InputError(f"{path}: item {n} needs 'section' and 'keypoints'")
        groups = [[k] if isinstance(k, str) else [str(x) for x in k] for k in rec["keypoints"]]
        rows.append({"id": str(rec.get("id", n)), "section": str(rec["section"]), "keypoints": groups})
    if not rows:
        raise InputError(f"{path}: holds no key points")
    return rows


def summary_metrics(summary, groups: list[list[str]]) -> dict:
    """Coverage of key points, sentences with valid citations, unsupported numbers."""
    from .citations import numbers, parse_sentences

    by_n = {c.n: c for c in summary.citations}
    sentences = parse_sentences(summary.summary)
    valid, unsupported = 0, 0
    for sentence, ns in sentences:
        cits = [by_n[n] for n in ns if n in by_n]
        quotes = "".join(c.quote for c in cits)
        ok = bool(cits) and len(cits) == len(ns)
        # numbers must occur in the cited quotes' chunks; quotes are exact document text
        missing = numbers(sentence) - numbers(quotes)
        if missing and cits:
            missing = missing - numbers("".join(_chunk_text(c) for c in cits))
        unsupported += len(missing)
        valid += ok and not missing
    covered = sum(any(contains(summary.summary, alt) for alt in g) for g in groups)
    return {
        "coverage": round(covered / len(groups), 4) if groups else None,
        "valid_citation_share": round(valid / len(sentences), 4) if sentences else 0.0,
        "unsupported_numbers": unsupported,
        "sentences": len(sentences),
        "length": len(summary.summary),
        "seconds": round(summary.seconds, 3),
        "cached": summary.cached,
    }


_CHUNK_TEXT: dict[tuple, str] = {}


def _chunk_text(citation) -> str:
    return _CHUNK_TEXT.get((citation.doc_id, citation.chunk_id), "")


def run_summaries(keypoints: list[dict], settings, llm=None, progress=None, refresh=False) -> tuple[list[dict], dict]:
    from .store import Store
    from .summaries import Summarizer

    summarizer = Summarizer(settings, llm=llm)
    doc_id = summarizer.resolve_doc(None)
    for cid, text, meta in Store(settings).all_chunks(doc_id):
        _CHUNK_TEXT[(meta["doc_id"], cid)] = text
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
             "dropped": s.dropped, "metrics": summary_metrics(s, kp["keypoints"])}
        )
    doc = by_section[""]
    doc_m = summary_metrics(doc, [])
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
