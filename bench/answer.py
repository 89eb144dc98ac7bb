"""Answer benchmark: quality, model work and speed of the full chain with the default model.

Usage: .venv/bin/python bench/answer.py [--set QUESTIONS.jsonl:CORPUS_DIR ...] [--limit N]
       [--language zh|en] [--no-warm] [--json PATH]      (settings from RAG_* variables, e.g. RAG_CROSS_LINGUAL)

Default sets: the three test splits, each over its own corpus in a fresh temporary store
(``article.test`` over ``data/``, ``news.test`` over ``eval/corpora/news``, ``news2.test`` over
``eval/corpora/news2``). Questions go
through ``AnswerChain.stream`` one after another as a user's would: llama.cpp keeps
the previous call's prompt in its KV cache, so a shared prefix (the system prompt) is
not evaluated again -- ``evaluated_tokens`` counts what was, ``prompt_tokens`` the whole
prompt. Before a set's questions the chain saves each chunk's prompt start, as ``rag ui`` and
``rag serve`` do at start (``AnswerChain.warm(passages=True)``, ``rag.models.prefixes``; timed
apart, printed as ``prefix_states_*``), so an answer whose best chunk is one of them evaluates
only the rest of its prompt; ``--no-warm`` (or ``RAG_PREFIX_CACHE_MB=0``) skips it. Every answer
is scored by the same code as ``rag eval``.

Printed: the quality metrics; model calls and prompt tokens per answer; p50/p95 of
every stage (``sources_s``: the sources card can be shown; ``first_sentence_s``: the
first checked sentence; ``answer_s``: the whole answer); and the bare model's prompt
evaluation speed (tokens/s on a fixed 1,000-token prompt) measured at the start and at
the end of the same run, so figures from two runs can be compared as ratios to it.
Machines here differ by up to 4x: compare before/after runs on one machine within the
hour, and the token and call counts, which do not vary.

``--model-cache FILE`` (for tuning the checks on a dev split, never for speed figures): every
model call's output is kept in FILE, keyed by its exact messages; a later run with the same
prompts replays them instead of asking the model (the local model runs at temperature 0, so a
replay is what it would say), and asks the model only for prompts it has not seen -- e.g. a
retry that a changed check now triggers. Timings of replayed calls are meaningless.
"""

from __future__ import annotations

import os

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse
import json
import tempfile
import time
from pathlib import Path

from rag.answering import AnswerChain
from rag.answering.events import Done, Sentence, SourcesFound
from rag.eval.metrics import stage_percentiles, summarize_answers
from rag.eval.questions import load_questions
from rag.eval.runner import answer_record
from rag.ingest import ingest
from rag.models import get_chat_model
from rag.settings import Settings
from rag.text import detect_language

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = [
    f"{ROOT}/eval/questions/article.test.jsonl:{ROOT}/data",
    f"{ROOT}/eval/questions/news.test.jsonl:{ROOT}/eval/corpora/news",
    f"{ROOT}/eval/questions/news2.test.jsonl:{ROOT}/eval/corpora/news2",
]
STAGES = ("sources_s", "ttft_s", "first_sentence_s", "answer_s", "retrieve_s", "rewrite_s",
          "translate_question_s", "translate_answer_s", "check_s", "prefill_s", "generate_s",
          "model_calls", "prompt_tokens", "cached_tokens", "evaluated_tokens", "generated_tokens")


def bare_prompt_speed(model) -> float | None:
    """Tokens/s of the bare local model evaluating a fixed ~1,000-token prompt from scratch."""
    from rag.models.local import LocalLlamaChat, _load_llama

    if not isinstance(model, LocalLlamaChat):
        return None
    llama = _load_llama(model.model_path, model.n_ctx, model.n_threads)
    text = (ROOT / "data").glob("*.txt").__next__().read_text(encoding="utf-8")[:1600]
    tokens = llama.tokenize(text.encode("utf-8"))
    llama.reset()
    t = time.perf_counter()
    llama.eval(tokens)
    speed = len(tokens) / (time.perf_counter() - t)
    llama.reset()
    return round(speed, 1)


class CachedChain(AnswerChain):
    """An ``AnswerChain`` whose model calls are replayed from (and recorded into) ``cache``."""

    cache: dict[str, str] = {}
    cache_file: Path | None = None

    def _stream_model(self, messages, run, kind, model=None):
        import hashlib

        if self.cache_file is None:  # no --model-cache: the model answers every call
            yield from super()._stream_model(messages, run, kind, model)
            return
        key = hashlib.sha256(json.dumps([kind, [m.content for m in messages]], ensure_ascii=False).encode()).hexdigest()
        if key in self.cache:
            run.record(kind, messages, self.cache[key], [], 0.0)
            yield self.cache[key]
            return
        # read the whole reply even when the chain would stop early (a refusal), so it can be replayed
        self.cache[key] = "".join(super()._stream_model(messages, run, kind, model))
        with self.cache_file.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"key": key, "out": self.cache[key]}, ensure_ascii=False) + "\n")
        yield self.cache[key]


def run_set(questions_path: Path, corpus: Path, base: Settings, limit: int, language: str | None = None,
            warm: dict | None = None) -> list[dict]:
    questions = [q for q in load_questions(questions_path) if language is None or detect_language(q.question) == language]
    questions = questions[: limit or None]
    with tempfile.TemporaryDirectory() as tmp:
        settings = base.model_copy(update={"data_dir": Path(tmp)})
        os.makedirs(settings.models_dir, exist_ok=True)
        for f in base.models_dir.glob("*"):  # reuse the joined model file instead of joining 1.1 GB again
            (settings.models_dir / f.name).symlink_to(f)
        ingest([corpus], settings)
        chain = CachedChain(settings, llm=get_chat_model(settings=settings))
        chain.invoke("预热")  # load the model and jieba; not timed
        if warm is not None:  # what a server does at start: save each chunk's prompt start (timed apart)
            t = time.perf_counter()
            warm["states"] = warm.get("states", 0) + chain.warm(passages=True)
            warm["seconds"] = round(warm.get("seconds", 0) + time.perf_counter() - t, 1)
            folder = settings.data_dir / "cache" / "prefixes"
            warm["mb"] = warm.get("mb", 0) + round(sum(f.stat().st_size for f in folder.rglob("*.kv")) / 2**20)
        results = []
        for i, q in enumerate(questions, 1):
            chain.retriever.doc_ids = (q.doc,) if q.doc else ()
            t0 = time.perf_counter()
            seen: dict[str, float] = {}
            answer = None
            for event in chain.stream(q.question):
                if isinstance(event, SourcesFound):
                    seen.setdefault("sources_s", time.perf_counter() - t0)
                elif isinstance(event, Sentence):
                    seen.setdefault("first_sentence_s", time.perf_counter() - t0)
                elif isinstance(event, Done):
                    answer = event.answer
            answer.timings.update({k: round(v, 4) for k, v in seen.items()})
            record = answer_record(q, answer, settings.context_chars)
            results.append(record)
            t = answer.timings
            print(f"[{i}/{len(questions)}] {q.id} correct={record['metrics']['correct']} "
                  f"{t.get('answer_s', 0):.1f}s calls={t.get('model_calls')} evaluated={t.get('evaluated_tokens')}",
                  flush=True)
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", dest="sets", metavar="QUESTIONS:CORPUS",
                    help="a question set and the corpus it is about (repeatable; default: the three test splits)")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions of each set")
    ap.add_argument("--language", choices=["zh", "en"], help="only the questions in this language")
    ap.add_argument("--json", type=Path, help="also write the figures and every result here")
    ap.add_argument("--no-warm", dest="warm", action="store_false",
                    help="do not save each chunk's prompt start before the questions (RAG_PREFIX_CACHE_MB)")
    ap.add_argument("--model-cache", type=Path, help="replay model calls kept in this file, keep new ones in it "
                    "(tuning on dev only: replayed timings are meaningless)")
    args = ap.parse_args()
    if args.model_cache:
        if args.model_cache.exists():
            for line in args.model_cache.read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                CachedChain.cache[row["key"]] = row["out"]
        CachedChain.cache_file = args.model_cache

    base = Settings()
    model = get_chat_model(settings=base)
    speed_before = bare_prompt_speed(model)
    results = []
    warm = {} if args.warm and base.prefix_cache_mb > 0 else None
    for spec in args.sets or DEFAULT_SETS:
        questions, corpus = spec.rsplit(":", 1)
        results += run_set(Path(questions), Path(corpus), base, args.limit, args.language, warm)
    speed_after = bare_prompt_speed(model)

    summary = summarize_answers(results, base.context_chars)
    answered = [r for r in results if not r["refused"]]
    figures = {
        "questions": len(results),
        **{k: summary[k] for k in ("correct_answerable", "refusal_accuracy_unanswerable", "false_refusal_rate",
                                   "citation_support", "quotes_exact", "sentences_intact")},
        "english_correct": (summary["by_language"].get("en") or {}).get("correct"),
        "retried_share": round(sum(bool(r["timings"].get("retries")) for r in results) / max(1, len(results)), 3),
        "answered": len(answered),
        "bare_prompt_tokens_per_s_start": speed_before,
        "bare_prompt_tokens_per_s_end": speed_after,
        "chat_model": base.chat_model,
        "llm_threads": base.llm_threads,
        "prefix_states_saved": warm and warm.get("states"),
        "prefix_states_warm_s": warm and warm.get("seconds"),
        "prefix_states_mb": warm and warm.get("mb"),
    }
    stages = {k: v for k, v in stage_percentiles(results).items() if k in STAGES}
    stages = {k: stages[k] for k in STAGES if k in stages}
    print()
    for k, v in figures.items():
        print(f"{k:34s} {v}")
    print(f"\n{'stage':22s} {'n':>5s} {'p50':>9s} {'p95':>9s}")
    for k, v in stages.items():
        print(f"{k:22s} {v['n']:5d} {v['p50']:9.3f} {v['p95']:9.3f}")
    print("\nby type (correct):", {t: d.get("correct") for t, d in summary["by_type"].items()})
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "stages": stages, "summary": summary, "results": results},
                                        ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
