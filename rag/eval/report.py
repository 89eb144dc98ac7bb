"""Write an eval's outputs: ``results.jsonl`` (one object per item, input order),
``summary.json`` (the aggregates) and ``report.md`` (readable), for question sets and
summary key-point sets alike."""

from __future__ import annotations

import json
from pathlib import Path


def write_outputs(out_dir: Path, results: list[dict], summary: dict, report: str) -> None:
    """``results.jsonl``, ``summary.json`` and ``report.md`` (the rendered ``report``) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "results.jsonl", "w", encoding="utf-8") as f:
        for r in results:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out_dir / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    (out_dir / "report.md").write_text(report, encoding="utf-8")


def _metrics_table(summary: dict) -> list[str]:
    lines = ["| metric | value |", "|---|---|"]
    return lines + [f"| {k} | {v} |" for k, v in summary.items() if not isinstance(v, dict)]


def render_report(results: list[dict], summary: dict, title: str) -> str:
    lines = [f"# {title}", ""] + _metrics_table(summary)
    for group, label in (("by_split", "split"), ("by_type", "type"), ("by_language", "language"), ("near_miss", "near miss")):
        table = summary.get(group)
        if not table:
            continue
        keys = sorted({k for d in table.values() for k in d})
        lines += ["", f"## By {label}", "", f"| {label} | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
        for t, d in table.items():
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


def render_summary_report(results: list[dict], summary: dict, title: str) -> str:
    lines = [f"# {title}", ""] + _metrics_table(summary)
    lines += ["", "| section | coverage | valid citations | unsupported numbers | chars | s |", "|---|---|---|---|---|---|"]
    for r in results:
        m = r["metrics"]
        lines.append(
            f"| {r['section'] or 'document'} | {m['coverage']} | {m['valid_citation_share']} | "
            f"{m['unsupported_numbers']} | {m['length']} | {m['seconds']} |"
        )
    return "\n".join(lines) + "\n"
