"""Answer benchmark: quality and speed of the full chain with the local model.

Usage: .venv/bin/python bench/answer.py [--questions eval/questions/article.dev.jsonl]
       [--limit N] [--json PATH]

In one run, on a fresh temporary store of the bundled corpus, every question goes
through ``AnswerChain`` with the default chat model and is scored with the same
code as ``rag eval`` (correctness by key facts, refusals, false refusals, citation
precision, numbers supported). Then each model call the chain made for that
question (the rewrite, if any, and the answer) is replayed on the model alone --
same messages, same settings, greedy decoding, so the same output -- and timed.

    pipeline overhead ratio = sum(chain wall time) / sum(model-alone time)

Shortcut: llama.cpp reuses a cached prompt prefix between calls, which would let
a replay skip the prompt the chain just evaluated; the model state is reset
before every chain run and every replay, so both pay the full prompt.
"""

from __future__ import annotations

import os

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from rag.answering import AnswerChain
from rag.eval.metrics import pct, summarize_answers
from rag.eval.questions import load_questions
from rag.eval.runner import answer_record
from rag.ingest import ingest
from rag.models import get_chat_model
from rag.models.local import _load_llama
from rag.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def reset(model) -> None:
    """Forget llama.cpp's cached prompt so the next call pays the whole prompt."""
    path = getattr(model, "model_path", None)
    if path:
        _load_llama(path, model.n_ctx, model.n_threads).reset()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, default=ROOT / "eval/questions/article.dev.jsonl")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()

    questions = load_questions(args.questions)
    if args.limit:
        questions = questions[: args.limit]
    with tempfile.TemporaryDirectory() as tmp:
        base = Settings()
        settings = base.model_copy(update={"data_dir": Path(tmp)})
        os.makedirs(settings.models_dir, exist_ok=True)
        # reuse the joined model file of the normal data dir instead of joining 1.1 GB again
        src = base.models_dir
        for f in src.glob("*"):
            (settings.models_dir / f.name).symlink_to(f)
        ingest([settings.corpus_dir], settings)
        model = get_chat_model(settings=settings)
        chain = AnswerChain(settings, llm=model)
        chain.invoke("预热")  # load the model and jieba; not timed

        results, chain_s, model_s, mismatches = [], [], [], 0
        for i, q in enumerate(questions, 1):
            reset(model)
            t0 = time.perf_counter()
            answer = chain.invoke(q.question)
            took = time.perf_counter() - t0
            alone = 0.0
            for messages, output in answer.model_calls:
                reset(model)
                t1 = time.perf_counter()
                again = model.invoke(messages).content.strip()
                alone += time.perf_counter() - t1
                mismatches += again != output
            chain_s.append(took)
            model_s.append(alone)
            record = answer_record(q, answer, settings.context_chars)
            results.append(record)
            metrics = record["metrics"]
            print(f"[{i}/{len(questions)}] {q.id} correct={metrics['correct']} chain {took:.1f}s model {alone:.1f}s",
                  flush=True)

    summary = summarize_answers(results, settings.context_chars)
    ratio = sum(chain_s) / sum(model_s) if sum(model_s) else None
    per_q = [c / m for c, m in zip(chain_s, model_s) if m]
    figures = {
        "questions": len(results),
        **{k: summary[k] for k in ("correct_answerable", "refusal_accuracy_unanswerable", "false_refusal_rate",
                                   "citation_support", "quotes_exact", "ttft_p50_s", "ttft_p95_s")},
        "answer_p50_s": pct(chain_s, 0.5),
        "answer_p95_s": pct(chain_s, 0.95),
        "model_alone_p50_s": pct(model_s, 0.5),
        "pipeline_overhead_ratio": round(ratio, 3) if ratio else None,
        "overhead_ratio_per_question_median": round(statistics.median(per_q), 3) if per_q else None,
        "replays_with_different_output": mismatches,
        "chat_model": settings.chat_model,
        "llm_threads": settings.llm_threads,
    }
    print()
    for k, v in figures.items():
        print(f"{k:40s} {v}")
    print("\nby type (correct):", {t: d.get("correct") for t, d in summary["by_type"].items()})
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "results": results}, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
