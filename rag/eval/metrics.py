"""Per-question and aggregate metrics for retrieval, answers and summaries."""

from __future__ import annotations

import json
import re
import statistics

from rag.answering.answerability import UNITS_PATTERN
from rag.errors import InputError
from rag.eval.questions import Question, contains, matches, norm
from rag.index.retriever import within_budget
from rag.text import MARK_RE, is_cjk, numbers, split_cited, split_end, strip_end_marks


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
    times = [r["timings"]["retrieve_s"] for r in results if r["timings"].get("retrieve_s") is not None]

    def grouped(key: str) -> dict[str, dict]:
        groups: dict[str, list] = {}
        for r in results:
            if "hit@1" in r["metrics"]:
                groups.setdefault(r.get(key) or "untyped", []).append(r["metrics"])
        return {
            t: {
                "n": len(ms),
                "hit@1": mean([m["hit@1"] for m in ms]),
                "hit@3": mean([m["hit@3"] for m in ms]),
                f"evidence_recall@{budget}": mean([m["evidence_hit"] for m in ms]),
            }
            for t, ms in sorted(groups.items())
        }

    return {
        "questions": len(results),
        "scored": len(scored),
        "hit@1": mean([m["hit@1"] for m in scored]),
        "hit@3": mean([m["hit@3"] for m in scored]),
        "mrr": mean([m["rr"] for m in scored]),
        f"evidence_recall@{budget}": mean([m["evidence_hit"] for m in scored]),
        "retrieve_p50_s": pct(times, 0.5),
        "retrieve_p95_s": pct(times, 0.95),
        "by_type": grouped("type"),
        "by_split": grouped("split"),
    }


# A computation shown in brackets: "(18.6万辆 − 13.1万辆 = 5.5万辆)", "(805人 ÷ 60% ≈ 1342人)"
_FIGURE = r"(\d+(?:\.\d+)?)\s*(万亿|万|亿|千)?\s*([^\d\s=≈+−\-×÷（）()\[\]。，,；;：:！!？?、]*)"
# bracketed, or written out in the sentence ("多了3860吨-3510吨=350吨")
_CALC_RE = re.compile(rf"\s*[（(]?\s*{_FIGURE}\s*([+−\-×÷])\s*{_FIGURE}\s*([=≈])\s*{_FIGURE}\s*[）)]?")
_SCALE = {"": 1.0, "千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}


def computations(text: str) -> list[tuple[re.Match, bool]]:
    """Computations in an answer, each with whether its arithmetic holds (recomputed
    here, not by the checker): the result equals the computation at the precision it is written
    in ("≈": within 1 %)."""
    out = []
    for m in _CALC_RE.finditer(text):
        a = float(m.group(1)) * _SCALE[m.group(2) or ""]
        b = float(m.group(5)) * _SCALE[m.group(6) or ""]
        c_num, c = m.group(9), float(m.group(9)) * _SCALE[m.group(10) or ""]
        if m.group(7) in ("%", "％"):
            b = float(m.group(5)) / 100
        value = {"+": a + b, "−": a - b, "-": a - b, "×": a * b, "÷": a / b if b else float("nan")}[m.group(4)]
        step = (10 ** -len(c_num.split(".")[1]) if "." in c_num else 1.0) * _SCALE[m.group(10) or ""]
        ok = abs(value - c) <= (0.01 * abs(c) if m.group(8) == "≈" else step / 2 + 1e-9)
        out.append((m, ok))
    return out


def scored_text(record: dict) -> str:
    """The answer in the question's language: an English answer is scored on its English, not on
    the checked Chinese shown after it (older results carry that after a blank line, in brackets)."""
    text = record.get("answer") or ""
    if record.get("answer_source_language"):
        return text
    head, sep, tail = text.partition("\n\n(")
    return head if sep and tail.endswith(")") and not is_cjk(head) else text


def answer_metrics(q: Question, record: dict, budget: int) -> dict:
    """Per-question answer metrics, computed from the results row alone (see README, "Metrics").

    * ``correct``: answerable -- not refused and every key-fact group matched (``matches``: a bare
      number only as a whole number) in the answer *in the question's language*; unanswerable --
      refused.
    * ``citation_support``: of the key facts the answer states, the share that also stand in the
      quotes its citations carry -- independent of the checker, which chose the quotes.
    * ``quotes_exact``: every citation's quote is the cited chunk's text at its offsets.
    """
    contexts = record.get("contexts") or []
    m = retrieval_metrics(q, [c["text"] for c in contexts], budget)
    refused = bool(record.get("refused"))
    text = scored_text(record)
    stated = [g for g in q.answers if any(matches(text, alt) for alt in g)]
    m["correct"] = (not refused and len(stated) == len(q.answers)) if q.answerable else refused
    if refused:
        return m
    citations = record.get("citations") or []
    quotes = "".join(c.get("quote") or "" for c in citations)
    # a computed figure stands in the quotes when its computation holds and its operands are quoted
    computed = [
        c.group(9) for c, ok in computations(text)
        if ok and {c.group(1), c.group(5)} <= numbers(quotes)
    ]
    if q.answerable and stated:
        m["citation_support"] = round(
            sum(any(contains(quotes, alt) or bool(numbers(alt)) and numbers(alt) <= set(computed) for alt in g) for g in stated)
            / len(stated), 4)
    by_id = {c["chunk_id"]: c for c in contexts}

    def exact(c: dict) -> bool:
        chunk = by_id.get(c.get("chunk_id"))
        if chunk is None or chunk.get("start") is None or c.get("start") is None:
            return False
        lo = c["start"] - chunk["start"]
        return bool(c.get("quote")) and chunk["text"][lo : lo + (c["end"] - c["start"])] == c["quote"]

    m["quotes_exact"] = bool(citations) and all(exact(c) for c in citations)
    m["sentences_intact"] = sentences_intact(record)
    return m


# a marker right after a figure and its measure word ("386辆[1]和387名[1]") cites that figure:
# taking it out of the sentence cuts no words (unlike "参与了[1]和[2]两篇报道")
_QUANTITY_MARK_RE = re.compile(rf"(\d(?:[\d.,]*\d)?\s*(?:[万亿])?\s*(?:{UNITS_PATTERN}|[%％])?)" + MARK_RE.pattern)


def sentences_intact(record: dict) -> bool:
    """Is every shown sentence one the model wrote, whole? Checked against the raw reply (prose with
    only its end-of-sentence markers and those citing a figure removed, or the claims' texts), never against the checker's
    own output: a sentence whose inner markers were cut out ("根据资料和,…") fails."""
    raw = record.get("raw_answer") or ""
    try:
        data = json.loads(raw[raw.index("{") : raw.rindex("}") + 1]) if "{" in raw else None
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("claims"), list):
        written = "".join(str(c.get("text", "")) for c in data["claims"] if isinstance(c, dict))
    else:
        written = _QUANTITY_MARK_RE.sub(r"\1", strip_end_marks(raw))
    written = norm(written)
    shown = record.get("answer_source_language") or record.get("answer") or ""
    for m, ok in computations(shown):  # a computation the answer shows is not the model's text ...
        if ok:  # ... and is taken out only when its arithmetic holds
            shown = shown.replace(m.group(0), "")
    return all(norm(split_end(sentence)[0]) in written for sentence, _ in split_cited(shown))


def _share(rows: list[dict], key: str) -> float | None:
    return mean([r["metrics"][key] for r in rows if key in r["metrics"]])


def _answer_figures(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    answered = [r for r in rows if r["refused"] is False]
    return {
        "n": len(rows),
        "correct_answerable": _share(ans, "correct"),
        "refusal_accuracy_unanswerable": _share(una, "correct"),
        "false_refusal_rate": mean([bool(r["refused"]) for r in ans]),
        "citation_support": _share(answered, "citation_support"),
        "quotes_exact": _share(answered, "quotes_exact"),
        "sentences_intact": _share(answered, "sentences_intact"),
    }


def stage_percentiles(results: list[dict]) -> dict[str, dict]:
    """p50/p95 of every timing and token count the answers recorded (``Answer.timings``)."""
    keys = dict.fromkeys(k for r in results for k, v in r.get("timings", {}).items() if isinstance(v, (int, float)))
    out = {}
    for key in keys:
        values = [r["timings"][key] for r in results if isinstance(r.get("timings", {}).get(key), (int, float))]
        out[key] = {"n": len(values), "p50": pct(values, 0.5), "p95": pct(values, 0.95)}
    return out


def summarize_answers(results: list[dict], budget: int) -> dict:
    summary = summarize_retrieval(results, budget)
    ttft = [r["timings"]["ttft_s"] for r in results if r["timings"].get("ttft_s") is not None]
    total = [r["timings"]["answer_s"] for r in results if r["timings"].get("answer_s") is not None]
    figures = _answer_figures(results)
    figures.pop("n")
    summary.update(figures)
    summary.update(
        {
            "ttft_p50_s": pct(ttft, 0.5),
            "ttft_p95_s": pct(ttft, 0.95),
            "answer_p50_s": pct(total, 0.5),
            "answer_p95_s": pct(total, 0.95),
            "stages": stage_percentiles(results),
        }
    )
    groups = {
        "by_type": lambda r: r.get("type") or "untyped",
        "by_split": lambda r: r.get("split") or "all",
        "by_language": lambda r: "zh" if is_cjk(r["question"]) else "en",
    }
    for name, key in groups.items():
        split: dict[str, list] = {}
        for r in results:
            split.setdefault(key(r), []).append(r)
        table = summary.setdefault(name, {})
        for k, rows in sorted(split.items()):
            table.setdefault(k, {}).update(_answer_figures(rows))
            table[k]["correct"] = mean([r["metrics"]["correct"] for r in rows])
    twins = [r for r in results if r.get("near_miss")]
    if twins:
        kinds: dict[str, list] = {}
        for r in twins:
            kinds.setdefault(r["near_miss"], []).append(r)
        summary["near_miss"] = {
            k: {"n": len(rs), "refused": mean([bool(r["refused"]) for r in rs])} for k, rs in sorted(kinds.items())
        }
        by_id = {r["id"]: r for r in results}
        originals = [by_id[i] for i in {r.get("twin_of") for r in twins} if i in by_id]
        summary["near_miss_refused"] = mean([bool(r["refused"]) for r in twins])
        summary["twin_originals_correct"] = mean([r["metrics"]["correct"] for r in originals])
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
