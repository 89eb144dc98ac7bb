"""`rag eval --retrieval-only` writes the EVAL_FORMAT files."""

import json

import pytest

from rag.errors import InputError
from rag.eval.questions import contains, load_questions, norm


def test_text_matching_follows_the_spec():
    assert norm(" Ａ B\tc ") == "abc"
    assert contains("化辛小区是化营、 辛庄两个村", "化营、辛庄")


def test_question_set_formats(tmp_path):
    q = tmp_path / "q.yaml"
    q.write_text("- id: a\n  question: 问题?\n  answerable: false\n", encoding="utf-8")
    assert load_questions(q)[0].answerable is False
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n')
    with pytest.raises(InputError):
        load_questions(bad)


def test_retrieval_only_eval_writes_results(article_settings, tmp_path):
    from typer.testing import CliRunner

    from rag.cli import app

    qs = tmp_path / "qs.jsonl"
    rows = [
        {"id": "q1", "question": "化辛小区是哪两个村的回迁安置小区?", "answerable": True,
         "answers": [["化营"], ["辛庄"]], "evidence": ["化营、辛庄两个村的回迁安置小区"], "type": "factoid",
         "extra": "ignored"},
        {"id": "q2", "question": "How old is the veteran volunteer who reminded villagers at the nucleic acid sampling site?", "answerable": True, "answers": [["64"]],
         "evidence": ["64岁的退役军人志愿者朱建高"]},
        {"id": "q3", "question": "开发区有多少家银行?", "answerable": False, "answers": [], "evidence": []},
    ]
    qs.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["eval", str(qs), "--retrieval-only", "--out", str(out)])
    assert res.exit_code == 0, res.output
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in results] == ["q1", "q2", "q3"]
    assert results[0]["answer"] is None and results[0]["refused"] is None
    assert results[0]["metrics"]["evidence_hit"] is True
    assert all({"chunk_id", "doc_id", "section", "text", "score"} <= set(c) for c in results[0]["contexts"])
    summary = json.loads((out / "summary.json").read_text())
    assert summary["hit@3"] == 1.0 and summary["scored"] == 2
    assert "evidence_recall@1500" in summary
    assert (out / "report.md").read_text().startswith("# ")


def test_answer_eval_with_the_fake_model_scores_splits_and_rescores(article_settings, tmp_path):
    import re

    from typer.testing import CliRunner

    from rag.cli import app
    from rag.models import registry
    from rag.models.fake import FakeChatModel

    def reply(messages):
        text = messages[-1].content
        n = next((n for n, body in re.findall(r"^\[(\d+)\] (.*)$", text, flags=re.M) if "化营、辛庄" in body), None)
        if "化辛小区" in text and n:
            return f"化辛小区是化营、辛庄两个村的回迁安置小区[{n}]。"
        return "资料中没有相关信息。"

    dev, test = tmp_path / "set.dev.jsonl", tmp_path / "set.test.jsonl"
    dev.write_text(json.dumps({"id": "d1", "question": "化辛小区是哪两个村的回迁安置小区?", "answerable": True,
                               "answers": [["化营"], ["辛庄"]], "evidence": ["化营、辛庄两个村"]}, ensure_ascii=False))
    test.write_text(json.dumps({"id": "t1", "question": "开发区有多少家银行?", "answerable": False, "answers": [],
                                "evidence": [], "near_miss": "subject", "twin_of": "d1"}, ensure_ascii=False))
    out = tmp_path / "out"
    with registry.override(FakeChatModel(reply)):
        res = CliRunner().invoke(app, ["eval", str(dev), str(test), "--out", str(out)])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["correct_answerable"] == 1.0 and summary["refusal_accuracy_unanswerable"] == 1.0
    assert set(summary["by_split"]) == {"set.dev", "set.test"}
    assert summary["near_miss"] == {"subject": {"n": 1, "refused": 1.0}} and summary["sentences_intact"] == 1.0
    # the key facts of d1 corrected to something the answer does not say: rescoring fails it
    dev.write_text(json.dumps({"id": "d1", "question": "化辛小区是哪两个村的回迁安置小区?", "answerable": True,
                               "answers": [["王庄"]], "evidence": []}, ensure_ascii=False))
    res = CliRunner().invoke(app, ["eval", str(dev), str(test), "--rescore", str(out / "results.jsonl"),
                                   "--out", str(tmp_path / "again"), "--fail-under", "correct_answerable=0.5"])
    assert res.exit_code == 2 and "below threshold" in res.output
