"""``rag.answering.citations.Checker`` on hand-made sources: which sentences a set of sources
supports, and what is quoted (no model, no store)."""

from rag.answering.citations import Checker, Source


def _sources(*texts):
    return [Source(i, f"c{i}", f"d{i}", "s", t, 0, len(t)) for i, t in enumerate(texts, 1)]


def test_a_sentence_joining_two_facts_is_supported_by_two_sources_one_for_each_figure():
    sources = _sources(
        "目前,全区共设立党员先锋岗112个、党员先锋队27个,成立临时党组织7个。",
        "截至3月19日,全区已有181名退役军人加入退役军人志愿先锋队。",
    )
    question = "全区设立了多少个党员先锋队?截至3月19日,有多少名退役军人加入了志愿先锋队?"
    c = Checker(sources, question=question).check_sentence("全区设立党员先锋队27个,有181名退役军人加入了志愿先锋队。", [])
    assert c.status == "repointed" and c.cited == [1, 2]


def test_one_figure_is_never_assembled_from_two_sources():
    # the time 2小时26分14秒 is in the second source (another race); the first names the asked race
    sources = _sources(
        "2024青川马拉松鸣枪起跑。33岁的赵敏以2小时29分45秒夺得女子全程冠军。",
        "2023江临马拉松女子全程冠军由杨雪莹获得,成绩为2小时26分14秒。",
    )
    checker = Checker(sources, question="2024青川马拉松女子全程冠军的成绩是多少?")
    c = checker.check_sentence("2024青川马拉松女子全程冠军的成绩是2小时26分14秒。", [])
    assert c.status == "dropped"
