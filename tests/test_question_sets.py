"""The project's own question sets (``eval/questions``) are well formed: ids are unique, every
evidence passage stands in its corpus, an answerable question has key facts and evidence, and a
near-miss twin is unanswerable and points at an answerable original."""

from pathlib import Path

import pytest

from rag.eval.questions import contains, load_questions
from rag.ingest.cleaning import clean

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {"article": ROOT / "data", "news": ROOT / "eval" / "corpora" / "news", "news2": ROOT / "eval" / "corpora" / "news2", "news3": ROOT / "eval" / "corpora" / "news3"}
SETS = sorted((ROOT / "eval" / "questions").glob("*.jsonl"))


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_a_question_set_is_well_formed(path):
    files = sorted(CORPORA[path.name.split(".")[0]].glob("*.txt"))
    corpus = "".join(clean(f.read_text(encoding="utf-8"), f.stem).text for f in files)  # as the index holds it
    questions = load_questions(path)
    by_id = {q.id: q for q in questions}
    assert len(by_id) == len(questions), "ids are unique"
    for q in questions:
        assert all(contains(corpus, e) for e in q.evidence), q.id
        assert not q.answerable or (q.answers and q.evidence), q.id
        if q.twin_of:
            assert not q.answerable and by_id[q.twin_of].answerable and q.near_miss, q.id
