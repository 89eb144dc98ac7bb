"""``rag.answering.citations.Checker`` on hand-made sources: which sentences a set of sources
supports, and what is quoted (no model, no store)."""

from rag.answering import constraints
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


def test_a_figure_listed_beside_a_parallel_one_is_not_the_answer_for_the_other_item():
    sources = _sources("从结构看,外贸集装箱占比达到68%,内贸集装箱占比32%。全年新开集装箱航线12条。")
    checker = Checker(sources, question="海州港的外贸集装箱占比是多少?")
    assert checker.check_sentence("海州港的外贸集装箱占比是32%。", []).status == "dropped"  # 32% is 内贸's
    assert checker.check_sentence("海州港的外贸集装箱占比是68%。", []).status == "repointed"
    listed = Checker(_sources("全区1830名党员、782名志愿者、934名热心群众主动参与到疫情防控中。"), question="全区有多少名志愿者参与?")
    assert listed.check_sentence("全区有1830名志愿者参与。", []).status == "dropped"
    assert listed.check_sentence("全区有782名志愿者参与。", []).status == "repointed"


def test_a_calculation_stating_both_figures_of_a_list_takes_each_for_its_own_item():
    sources = _sources("2024年青山县春茶产量达到4120吨,比2023年的3870吨增长6.5%;春茶产值为9.6亿元。")
    checker = Checker(sources, question="2024年青山县春茶产量比2023年多了多少吨?")
    c = checker.check_sentence("2024年青山县春茶产量比2023年多了4120吨-3870吨=250吨。", [])
    assert c.status == "derived" and c.derivation.shown == "4120吨 − 3870吨 = 250吨"
    assert c.shown == c.text  # the sentence writes the computation out: it is not shown twice
    wrong = checker.check_sentence("2024年青山县春茶产量比2023年多了4120吨-3870吨=350吨。", [])
    assert wrong.status == "dropped"  # the arithmetic is the code's, not the model's


def test_the_quote_is_the_sentence_stating_the_claim_not_one_holding_the_questions_year():
    sources = _sources("11月19日,2023江临马拉松在滨江广场鸣枪起跑。女子全程冠军由云港籍选手杨雪莹获得,成绩为2小时26分14秒。")
    checker = Checker(sources, question="2023江临马拉松女子全程冠军是谁?")
    result = checker.check("2023江临马拉松女子全程冠军是杨雪莹[1]。")
    quote = result.citations[0].quote
    assert "杨雪莹" in quote and quote.endswith("2小时26分14秒。")  # (from the subject sentence before it)


def test_a_source_cited_by_two_sentences_is_quoted_over_what_both_take_from_it():
    sources = _sources("金沙湾港区全年完成集装箱吞吐量1120万标准箱；银滩港区全年完成吞吐量480万标准箱，同比增长23%。")
    checker = Checker(sources, question="金沙湾港区和银滩港区的吞吐量各是多少?")
    result = checker.check("金沙湾港区全年完成集装箱吞吐量1120万标准箱[1]。银滩港区全年完成吞吐量480万标准箱[1]。")
    assert len(result.citations) == 1
    quote = result.citations[0].quote
    assert "1120万" in quote and "480万" in quote
    assert quote == sources[0].text[result.citations[0].start : result.citations[0].end]


def test_a_year_the_answer_repeats_from_the_question_is_judged_with_the_document_not_the_chunk():
    # invented: the paragraph says 今年 and names no year; the report's lead names the year, which
    # ``constraints.uncovered`` judges with the document
    sources = _sources("北坪乡是全县最大的油菜产区，今年种植面积6.2万亩，总产量1.9万吨。")
    question = "2023年丰林县北坪乡的油菜总产量是多少?"
    answer = "2023年北坪乡的油菜总产量是1.9万吨。"
    assert Checker(sources, question=question, years={"2023"}).check_sentence(answer, [1]).status == "kept"
    # a year the asker did not name is a claim the chunk must hold
    assert Checker(sources, question=question).check_sentence(answer, [1]).status == "dropped"
    assert Checker(sources, question=question, years={"2023"}).check_sentence(
        "2022年北坪乡的油菜总产量是1.9万吨。", [1]).status == "dropped"
    # a paragraph naming another year is about that year
    other = _sources("2021年北坪乡种植面积6.2万亩，总产量1.9万吨。")
    assert Checker(other, question=question, years={"2023"}).check_sentence(answer, [1]).status == "dropped"


def test_a_part_listed_after_qizhong_is_not_parallel_to_its_whole():
    # 其中 opens the parts of the figure before it: 2860 is the new-energy buses' count, a part of all buses
    sources = _sources("截至2024年底，全市共有公交车3010辆，其中新能源公交车2860辆，占比达到95%；全年新增纯电动公交车420辆。")
    checker = Checker(sources, question="截至2024年底，宁渚市共有多少辆新能源公交车?")
    assert checker.check_sentence("截至2024年底，全市共有2860辆新能源公交车。", [1]).status == "kept"
    # parts of one 其中 list are still parallel to each other
    listed = _sources("2024年公司出口额达到7.3亿元，其中对日本出口3.1亿元、对韩国出口1.6亿元。")
    checker = Checker(listed, question="2024年公司对韩国出口了多少?")
    assert checker.check_sentence("2024年公司对韩国出口3.1亿元。", [1]).status == "dropped"


def test_a_wrong_result_is_replaced_by_the_one_computed_from_the_figures_the_answer_states():
    sources = _sources("东阳博物馆馆长孙雅琴今年58岁,在博物馆系统工作了31年。", "江临市博物馆馆长宋佳音(48岁)表示,展期将延长。")
    checker = Checker(sources, question="东阳博物馆馆长比江临市博物馆馆长大几岁?")
    reply = "东阳博物馆馆长58岁,江临市博物馆馆长48岁,东阳博物馆馆长比江临市博物馆馆长大3岁。"
    assert checker.check_sentence(reply, []).status == "dropped"  # 3岁 is wrong
    c = checker.computed(reply)
    # the model's own clauses up to the second figure, with the computation; its wrong clause left out whole
    assert c.status == "derived" and c.cited == [1, 2]
    assert c.shown == "东阳博物馆馆长58岁,江临市博物馆馆长48岁（58岁 − 48岁 = 10岁）。"
    # a figure no source gives that person is no operand
    assert checker.computed("东阳博物馆馆长58岁,江临市博物馆馆长50岁,相差8岁。") is None
    # a question asking for no computation gets none
    assert Checker(sources, question="东阳博物馆馆长今年多大?").computed(reply) is None


def test_a_sentence_joining_a_name_and_a_figure_from_two_sources_cites_both():
    sources = _sources(
        "澄湖遗址考古领队高建华介绍,遗址出土玉器300余件。",
        "截至2023年底,考古队累计发掘面积1.2万平方米,清理墓葬86座。",
    )
    checker = Checker(sources, question="澄湖遗址的考古领队是谁?截至2023年底,考古队累计发掘了多大面积?", find_names=constraints.names)
    c = checker.check_sentence("澄湖遗址的考古领队是高建华,截至2023年底,考古队累计发掘了1.2万平方米。", [])
    assert c.status != "dropped" and 2 in c.cited
    assert checker._states_fact("澄湖遗址的考古领队是高建华") and not checker._states_fact("澄湖遗址的考古领队是")
