"""The answer metrics can fail: bare numbers match only whole numbers, English answers are
scored on their English, citation support is judged on the quotes, quotes on their offsets."""

from __future__ import annotations

from rag.eval.metrics import answer_metrics, scored_text, sentences_intact, summarize_answers
from rag.eval.questions import Question, matches

CHUNK = {"chunk_id": "c1", "doc_id": "d", "section": "s", "start": 100, "end": 128,
         "text": "截至3月19日,全区已有181名退役军人加入志愿先锋队。"}


def record(answer, quote="已有181名退役军人加入志愿先锋队。", start=110, refused=False, source=None):
    return {
        "id": "q", "question": "?", "answerable": True, "answer": answer, "answer_source_language": source,
        "refused": refused, "contexts": [CHUNK], "timings": {},
        "citations": [{"n": 1, "chunk_id": "c1", "doc_id": "d", "section": "s", "start": start,
                       "end": start + len(quote), "quote": quote}],
    }


def test_a_bare_number_matches_only_a_whole_number():
    assert matches("有181名退役军人", "181")
    assert not matches("3月17日", "7")
    assert not matches("共1810人", "181")
    assert not matches("增长18.1%", "18")
    assert matches("增长18.1%", "18.1%") and matches("增长18.1%", "18.1")
    assert matches("181 veterans.", "181")


def test_correct_needs_every_group_and_an_unanswerable_needs_a_refusal():
    q = Question("q", "?", True, [["181名", "181"], ["退役军人", "veterans"]])
    assert answer_metrics(q, record("已有181名退役军人[1]。"), 1500)["correct"]
    assert not answer_metrics(q, record("已有181名志愿者[1]。"), 1500)["correct"]
    assert not answer_metrics(q, record("资料中没有", refused=True), 1500)["correct"]
    twin = Question("t", "?", False, [])
    assert answer_metrics(twin, record("资料中没有", refused=True), 1500)["correct"]
    assert not answer_metrics(twin, record("已有181名退役军人[1]。"), 1500)["correct"]


def test_english_answers_are_scored_on_the_english():
    q = Question("q", "How many veterans?", True, [["181"], ["veterans"]])
    good = record("By March 19, 181 veterans had joined [1].", source="已有181名退役军人加入[1]。")
    assert answer_metrics(q, good, 1500)["correct"]
    garbled = record("By March 19, some people had joined [1].", source="已有181名退役军人加入[1]。")
    assert not answer_metrics(q, garbled, 1500)["correct"]  # the Chinese beside it does not count
    old_style = {**garbled, "answer": garbled["answer"] + "\n\n(已有181名退役军人加入[1]。)", "answer_source_language": None}
    assert scored_text(old_style) == garbled["answer"]
    assert not answer_metrics(q, old_style, 1500)["correct"]


def test_citation_support_is_judged_on_the_quotes_the_citations_carry():
    q = Question("q", "?", True, [["181名"], ["志愿先锋队"]])
    assert answer_metrics(q, record("已有181名退役军人加入志愿先锋队[1]。"), 1500)["citation_support"] == 1.0
    wrong_quote = record("已有181名退役军人加入志愿先锋队[1]。", quote="截至3月19日,", start=100)
    m = answer_metrics(q, wrong_quote, 1500)
    assert m["correct"] and m["citation_support"] == 0.0 and m["quotes_exact"]


def test_quotes_must_be_the_chunk_text_at_their_offsets():
    q = Question("q", "?", True, [["181名"]])
    assert answer_metrics(q, record("已有181名退役军人[1]。"), 1500)["quotes_exact"]
    assert not answer_metrics(q, record("已有181名退役军人[1]。", start=109), 1500)["quotes_exact"]


def test_near_miss_twins_are_reported_by_kind():
    rows = []
    for qid, answerable, refused, kind, twin in [
        ("a", True, False, None, None), ("b", False, True, "year", "a"), ("c", False, False, "subject", "a"),
    ]:
        q = Question(qid, "?", answerable, [["181名"]] if answerable else [], near_miss=kind, twin_of=twin, split="x.test")
        r = {**record("已有181名退役军人[1]。", refused=refused), "id": qid, "answerable": answerable,
             "near_miss": kind, "twin_of": twin, "split": "x.test", "type": "t"}
        r["metrics"] = answer_metrics(q, r, 1500)
        rows.append(r)
    summary = summarize_answers(rows, 1500)
    assert summary["near_miss"] == {"subject": {"n": 1, "refused": 0.0}, "year": {"n": 1, "refused": 1.0}}
    assert summary["near_miss_refused"] == 0.5 and summary["twin_originals_correct"] == 1.0
    assert summary["by_split"]["x.test"]["refusal_accuracy_unanswerable"] == 0.5


def test_a_sentence_with_words_cut_out_is_not_intact():
    q = Question("q", "?", True, [["805人"]])
    cut = {**record("根据资料和,捷温公司共有805人[1]。"), "raw_answer": "根据资料[1]和[2],捷温公司共有805人[1]。"}
    assert not answer_metrics(q, cut, 1500)["sentences_intact"]
    whole = {**record("捷温公司共有805人[1]。"), "raw_answer": "捷温公司共有805人[1]。"}
    assert answer_metrics(q, whole, 1500)["sentences_intact"]
    # a marker citing a figure inside the sentence: taking it out cuts no words
    figures = {**record("出动386辆和387名[1]。"), "raw_answer": "出动386辆[1]和387名[1]。"}
    assert answer_metrics(q, figures, 1500)["sentences_intact"]
    words = {**record("参与了和两篇报道[1]。"), "raw_answer": "参与了[1]和[2]两篇报道[1]。"}
    assert not answer_metrics(q, words, 1500)["sentences_intact"]
    claims = {**record("捷温公司共有805人[1]。"),
              "raw_answer": '{"answerable": true, "claims": [{"text": "捷温公司共有805人。", "source": 1, "quote": "x"}]}'}
    assert answer_metrics(q, claims, 1500)["sentences_intact"]


def test_the_checker_never_shows_a_sentence_whose_markers_stand_for_words():
    from rag.answering.citations import Checker, Source

    src = Source(1, "c1", "d", "s", "通讯员王卫国参与了两篇报道。捷温公司共有805人驻厂生产。", 0, 28)
    result = Checker([src]).check("通讯员王卫国参与了[1]和[2]两篇报道。捷温公司共有805人驻厂生产[1]。")
    assert result.text == "捷温公司共有805人驻厂生产[1]。"
    assert result.dropped[0].reason == "citation markers inside the sentence"


def test_an_opening_clause_naming_the_sources_is_their_citation_not_words_of_the_claim():
    from rag.answering.citations import Checker, Source
    from rag.text import cited_sentences

    src = Source(1, "c1", "d", "s", "捷温公司共有805人驻厂生产。", 0, 15)
    result = Checker([src]).check("根据资料[1]和[2]的信息,捷温公司共有805人驻厂生产。")
    assert result.text == "捷温公司共有805人驻厂生产[1]。"
    assert sentences_intact({**record(result.text), "raw_answer": "根据资料[1]和[2]的信息,捷温公司共有805人驻厂生产。"})
    assert cited_sentences("According to [1], the company has 805 staff on site.") == [
        ("The company has 805 staff on site.", [1], False)
    ]
    assert cited_sentences("根据资料[1],。") == []  # nothing after it: no claim


def test_a_shown_computation_counts_as_intact_and_supported_only_when_its_arithmetic_holds():
    q = Question("q", "多交付了多少辆?", answers=[["5.5万辆"]], evidence=[], answerable=True)
    quote = "2023年共交付18.6万辆,较2022年的13.1万辆增长42%。"
    good = {**record("多交付了5.5万辆（18.6万辆 − 13.1万辆 = 5.5万辆）[1]。", quote=quote), "raw_answer": "多交付了5.5万辆。"}
    bad = {**record("多交付了5.5万辆（18.6万辆 − 12.1万辆 = 5.5万辆）[1]。", quote=quote), "raw_answer": "多交付了5.5万辆。"}
    assert sentences_intact(good) and not sentences_intact(bad)
    assert answer_metrics(q, good, 1500)["citation_support"] == 1.0
    assert answer_metrics(q, bad, 1500)["citation_support"] == 0.0
