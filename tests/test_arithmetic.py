"""Figures computed from the sources (``rag.answering.arithmetic``), through the chain, and the
eval's own check of shown computations (``rag.eval.metrics.computations``)."""

from rag.answering.arithmetic import asks_calculation, compute, derive, quantities, with_calculation
from rag.eval.metrics import computations
from tests.test_answer import _one_doc, assert_quotes_are_document_text, chain_with

SOURCE = "2023年全年共交付新能源汽车18.6万辆,较2022年的13.1万辆同比增长42%。公司全年出口整车2.1万辆。"


def _target(text):
    return quantities(text)[0]


def test_only_a_question_asking_for_a_computation_is_answered_by_one():
    assert asks_calculation("星驰汽车2023年比2022年多交付了多少辆?") == {"difference"}
    assert asks_calculation("金沙湾港区和银滩港区的吞吐量加起来是多少?") == {"sum"}
    assert asks_calculation("按文中的比例推算,该公司大约共有多少名员工?") == {"ratio"}
    assert asks_calculation("How many more cars were delivered in 2023 than in 2022?") == {"difference"}
    assert asks_calculation("星驰汽车2023年交付了多少辆?") == set()
    assert asks_calculation("全区一共有多少名志愿者?") == set()  # a stated total: one thing named
    # a comparison by any adjective of degree (大, 早, 长 ...) asks for a difference; 比例 is no comparison
    assert asks_calculation("甲厂厂长比乙厂厂长大几岁?") == {"difference"}
    assert asks_calculation("新线路比旧线路长多少公里?") == {"difference"}
    assert "difference" not in asks_calculation("该区充电桩占全市的比例大约是多少?")


def test_figures_are_read_with_magnitude_and_measure_word_and_years_are_not_figures():
    found = quantities(SOURCE)
    assert [(q.number, q.value, q.unit) for q in found] == [
        ("18.6", 186000.0, "辆"), ("13.1", 131000.0, "辆"), ("42", 42.0, "%"), ("2.1", 21000.0, "辆")]


def test_a_difference_sum_or_share_is_recomputed_and_a_wrong_one_is_not():
    found = quantities(SOURCE)
    assert derive(_target("5.5万辆"), found, {"difference"}).shown == "18.6万辆 − 13.1万辆 = 5.5万辆"
    assert derive(_target("5.4万辆"), found, {"difference"}) is None
    assert derive(_target("5.5万辆"), found, {"sum"}) is None  # not the operation asked for
    assert derive(_target("20.7万辆"), found, {"sum"}).shown == "18.6万辆 + 2.1万辆 = 20.7万辆"
    assert derive(_target("5.5万吨"), found, {"difference"}) is None  # another measure word
    share = quantities("公司目前共有805人驻厂生产,占员工总数的60%。")
    assert derive(_target("1342名"), share, {"ratio"}, approximate=True).shown == "805人 ÷ 60% ≈ 1342名"


def test_the_computation_is_shown_before_the_end_mark():
    assert with_calculation("多交付了5.5万辆。", "18.6万辆 − 13.1万辆 = 5.5万辆") == "多交付了5.5万辆（18.6万辆 − 13.1万辆 = 5.5万辆）。"
    # a sentence that writes the computation out already is not given it a second time
    written = "两家共卖出230台 + 70台 = 300台。"
    assert with_calculation(written, "230台 + 70台 = 300台") == written
    # an equals sign over other figures is no written computation of this one
    assert with_calculation("总数=300台。", "230台 + 70台 = 300台") == "总数=300台（230台 + 70台 = 300台）。"


def test_a_computed_difference_is_answered_with_its_computation_and_both_figures_quoted(settings, tmp_path):
    _one_doc(settings, tmp_path, f"# 星驰汽车\n\n1月3日,星驰汽车公布经营数据。{SOURCE}\n")
    chain, _ = chain_with(settings, lambda m: "星驰汽车2023年比2022年多交付了5.5万辆新能源汽车。")
    answer = chain.invoke("星驰汽车2023年比2022年多交付了多少辆新能源汽车?")
    assert not answer.refused
    assert answer.text == "星驰汽车2023年比2022年多交付了5.5万辆新能源汽车（18.6万辆 − 13.1万辆 = 5.5万辆）[1]。"
    assert "18.6万辆" in answer.citations[0].quote and "13.1万辆" in answer.citations[0].quote
    assert_quotes_are_document_text(settings, answer)


def test_a_wrong_computation_or_an_unstated_figure_for_a_plain_question_is_refused(settings, tmp_path):
    _one_doc(settings, tmp_path, f"# 星驰汽车\n\n1月3日,星驰汽车公布经营数据。{SOURCE}\n")
    wrong = chain_with(settings, lambda m: "星驰汽车2023年比2022年多交付了4.5万辆新能源汽车。")[0]
    assert wrong.invoke("星驰汽车2023年比2022年多交付了多少辆新能源汽车?").refused
    plain = chain_with(settings, lambda m: "星驰汽车2023年出口了5.5万辆新能源汽车。")[0]
    assert plain.invoke("星驰汽车2023年出口了多少辆新能源汽车?").refused  # 5.5万 is stated nowhere


def test_the_eval_recomputes_each_shown_computation_itself():
    assert [ok for _, ok in computations("多了350吨（3860吨 − 3510吨 = 350吨）。")] == [True]
    assert [ok for _, ok in computations("（805人 ÷ 60% ≈ 1342名）")] == [True]
    assert [ok for _, ok in computations("（18.6万辆 − 13.1万辆 = 5.4万辆）")] == [False]
    # a computation the sentence writes out itself, without brackets, and nothing after it taken for a unit
    assert [(m.group(0), ok) for m, ok in computations("多了3860吨-3510吨=350吨[1]。")] == [("3860吨-3510吨=350吨", True)]
    assert [ok for _, ok in computations("相差53岁-45岁=9岁。")] == [False]


def test_a_growth_rate_question_is_not_a_difference_to_compute():
    assert asks_calculation("银滩港区2024年集装箱吞吐量同比增长多少?") == set()  # 同比 is not 比 + a baseline


def test_a_difference_question_is_not_answered_by_a_figure_whose_clause_states_no_difference():
    from rag.answering import constraints

    asked = constraints.of_question("远航汽车2023年全年交付量比年初制定的目标少了多少辆?")
    sentence = "其中6月交付1.8万辆,环比增长12%。"  # 1.8万 is a month's deliveries, not the shortfall
    context = "2023年,远航汽车全年交付16.2万辆,略低于年初制定的17万辆目标。远航汽车公布上半年数据。" + sentence
    assert "difference" in constraints.uncovered(asked, "比目标少了1.8万辆", sentence, context)
    stated = "2023年远航汽车全年交付16.2万辆,比年初制定的17万辆目标少0.8万辆。"
    assert constraints.uncovered(asked, "比目标少了0.8万辆", stated, stated) is None


def test_a_zero_share_computes_nothing():
    found = quantities("共有805人驻厂生产,缺勤率为0%。")
    assert derive(_target("1342名"), found, {"ratio"}, approximate=True) is None


def test_a_difference_or_sum_is_computed_from_two_figures_of_one_kind_only():
    d = compute({"difference"}, quantities("58岁") + quantities("48岁"))
    assert d.shown == "58岁 − 48岁 = 10岁" and d.target.raw == "10岁"
    assert compute({"difference"}, quantities("13.1万辆") + quantities("18.6万辆")).shown == "18.6万辆 − 13.1万辆 = 5.5万辆"
    assert compute({"sum"}, quantities("1120万标准箱") + quantities("480万标准箱")).target.raw == "1600万标准箱"
    assert compute({"difference"}, quantities("58岁") + quantities("48名")) is None  # not one kind of thing
    assert compute({"difference"}, quantities("58岁、48岁、40岁")) is None  # which two is not known
    assert compute({"ratio"}, quantities("58岁") + quantities("48岁")) is None  # no difference or sum asked


def test_a_wrong_subtraction_of_the_right_figures_is_answered_with_the_one_computed_in_code(settings, tmp_path):
    text = "东阳博物馆馆长孙雅琴今年58岁,在博物馆系统工作了31年。江临市博物馆馆长宋佳音(48岁)表示,展期将延长。"
    _one_doc(settings, tmp_path, f"# 两馆联展\n\n9月26日,两馆联展开幕。{text}\n")
    reply = "东阳博物馆馆长58岁,江临市博物馆馆长48岁,东阳博物馆馆长比江临市博物馆馆长大4岁。"
    chain, _ = chain_with(settings, lambda m: reply)
    answer = chain.invoke("东阳博物馆馆长比江临市博物馆馆长大几岁?")
    assert not answer.refused
    assert answer.text == "东阳博物馆馆长58岁,江临市博物馆馆长48岁（58岁 − 48岁 = 10岁）[1]。"
    assert "4岁" not in answer.text and "58岁" in answer.citations[0].quote and "48岁" in answer.citations[0].quote
    assert_quotes_are_document_text(settings, answer)
