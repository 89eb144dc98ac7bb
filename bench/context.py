"""Context budget benchmark: how much of the evidence survives sentence selection, per token budget.

Usage: .venv/bin/python bench/context.py [--set QUESTIONS.jsonl:CORPUS_DIR ...] [--budgets 100,200,...]

For every answerable question of the sets (default: the two dev splits), the chunks the
chain would retrieve (within ``RAG_CONTEXT_CHARS``) are cut to excerpts by
``rag.answering.excerpts.select`` at each budget, and the evidence recall (some evidence
string inside the excerpts) and the mean prompt tokens of the passages are printed --
beside the whole chunks, the baseline in the same run. No model is called; the token
counts are ``estimate_tokens``. Pick the knee here, then confirm with ``bench/answer.py``.
"""

from __future__ import annotations

import os

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import argparse
import tempfile
from pathlib import Path

from rag.answering.excerpts import select
from rag.eval.questions import contains, load_questions
from rag.index.retriever import HybridRetriever, within_budget
from rag.ingest import ingest
from rag.settings import Settings
from rag.text import estimate_tokens

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SETS = [
    f"{ROOT}/eval/questions/article.dev.jsonl:{ROOT}/data",
    f"{ROOT}/eval/questions/news.dev.jsonl:{ROOT}/eval/corpora/news",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", dest="sets", metavar="QUESTIONS:CORPUS")
    ap.add_argument("--budgets", default="80,120,160,200,250,300,400,600")
    ap.add_argument("--min-share", type=float, default=None, help="override excerpts.MIN_SHARE")
    ap.add_argument("--no-whole-first", dest="whole_first", action="store_false",
                    help="do not keep the best-ranked chunk whole")
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]
    base = Settings()
    rows = {b: [] for b in ["whole", *budgets]}
    for spec in args.sets or DEFAULT_SETS:
        qpath, corpus = spec.rsplit(":", 1)
        with tempfile.TemporaryDirectory() as tmp:
            settings = base.model_copy(update={"data_dir": Path(tmp)})
            ingest([Path(corpus)], settings)
            retriever = HybridRetriever.from_settings(settings)
            for q in load_questions(Path(qpath)):
                if not q.answerable or not q.evidence:
                    continue
                retriever.doc_ids = (q.doc,) if q.doc else ()
                docs = retriever.invoke(q.question)
                chunks = within_budget([d.page_content for d in docs], settings.context_chars)
                whole = "".join(chunks)
                rows["whole"].append((any(contains(whole, e) for e in q.evidence), estimate_tokens(whole)))
                for b in budgets:
                    ex = select(q.question, chunks, b, overhead=lambda i: 6, whole_first=args.whole_first, **({} if args.min_share is None else {"min_share": args.min_share}))
                    text = "".join(e.text for e in ex)
                    rows[b].append((any(contains(text, e) for e in q.evidence), estimate_tokens(text) + 6 * len(ex)))
    print(f"{'budget':>8s} {'n':>4s} {'evidence recall':>16s} {'mean passage tokens':>20s}")
    for b, r in rows.items():
        print(f"{b!s:>8s} {len(r):4d} {sum(h for h, _ in r) / len(r):16.3f} {sum(t for _, t in r) / len(r):20.1f}")


if __name__ == "__main__":
    main()
