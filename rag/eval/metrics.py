"""Per-question and aggregate metrics for retrieval, answers and summaries."""

from __future__ import annotations

import statistics

from rag.errors import InputError
from rag.eval.questions import Question, contains
from rag.index.retriever import within_budget
from rag.text import numbers, split_cited


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


def answer_metrics(q: Question, answer, budget: int) -> dict:
    """Per-question answer metrics (see docs/eval-format.md)."""
    contexts = {i: c.text for i, c in enumerate(answer.contexts, 1)}
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
    sentences = split_cited(answer.text)
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


def summary_metrics(summary, groups: list[list[str]], chunk_text: dict[str, str]) -> dict:
    """Coverage of key points, sentences with valid citations, unsupported numbers."""
    by_n = {c.n: c for c in summary.citations}
    sentences = split_cited(summary.summary)
    valid, unsupported = 0, 0
    for sentence, ns in sentences:
        cits = [by_n[n] for n in ns if n in by_n]
        quotes = "".join(c.quote for c in cits)
        ok = bool(cits) and len(cits) == len(ns)
        # numbers must occur in the cited quotes' chunks; quotes are exact document text
        missing = numbers(sentence) - numbers(quotes)
        if missing and cits:
            missing = missing - numbers("".join(chunk_text.get(c.chunk_id, "") for c in cits))
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
