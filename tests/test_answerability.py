"""Question focus (measure words, asked roles) and pinyin names, without a model."""

from rag.answering.answerability import asked_groups, asked_role, quantity_mismatch, stated_groups
from rag.answering.pinyin_names import annotate, build_table, find_names, unknown_places


def test_measure_words_are_grouped_by_what_they_count():
    assert asked_groups("共有多少辆垃圾车?") == {"machines"}
    assert asked_groups("每天出动多少台次?") == {"times"}
    assert asked_groups("花了几个小时?") == {"duration"}
    assert asked_groups("占职工的几成?") == {"share"}
    assert asked_groups("他今年多大年纪?") == {"age"}
    assert asked_groups("是哪家公司?") == set()
    assert stated_groups("326名医护人员组成24支队伍") == {"people", "teams"}
    assert stated_groups("20余人,占60%") == {"people", "share"}


def test_routes_trains_and_carriages_are_counted_apart():
    # 条 counts routes or roads, 列 whole trains, 节 carriages: none is a count of the others (nor of 家)
    assert asked_groups("这条地铁线一共有多少列列车?") == {"trains"}
    assert quantity_mismatch("这条地铁线一共有多少列列车?", "列车为8节编组[1]。")
    assert quantity_mismatch("这条地铁线一共有多少列列车?", "共配备列车24列[1]。") is None
    assert stated_groups("开通公交线路48条") == {"lines"}
    assert quantity_mismatch("新开通了多少条航线?", "共有31家航空公司[1]。")


def test_quantity_mismatch_only_for_known_kinds():
    assert quantity_mismatch("共有多少辆垃圾车?", "每天出动12台次[1]。")
    assert quantity_mismatch("一共做了多少次核酸检测?", "326名医护人员组成24支队伍[1]。")
    assert quantity_mismatch("花了多少钱?", "确保满足30天满负荷运转[1]。")
    assert quantity_mismatch("有多少名党员?", "党员冲锋在前[1]。")  # no number at all
    assert quantity_mismatch("有多少位司机?", "387名司机[1]。") is None  # 名 = 位
    assert quantity_mismatch("设立了多少个卡点?", "卡点89个[1]。") is None  # 个 is never judged
    assert quantity_mismatch("投入了多少警力?", "投入138人[1]。") is None  # no measure word asked
    assert quantity_mismatch("化辛小区在哪里?", "位于开发区[1]。") is None
    assert quantity_mismatch("馆里藏有多少册古籍?", "馆藏古籍约3000种[1]。")  # kinds are not volumes
    assert quantity_mismatch("馆里藏有多少种古籍?", "馆藏古籍约3000种[1]。") is None
    assert asked_groups("示范种植了多少亩?") == {"area"} and stated_groups("种植了120亩") == {"area"}


def test_a_noun_naming_an_amount_of_money_asks_for_money():
    assert asked_groups("该设备的销售收入是多少?") == {"money"}
    assert asked_groups("县里为收购安排了多少资金?") == {"money"}
    assert quantity_mismatch("该设备的销售收入是多少?", "该设备出货4.8万台[1]。")
    assert quantity_mismatch("该设备的销售收入是多少?", "销售收入为9.6亿元[1]。") is None
    # a share or a change of a money measure is not asked for in 元
    assert asked_groups("研发投入占营业收入的比例是多少?") == {"share"}
    assert asked_groups("营业收入增长了多少?") is None


def test_asked_role_is_the_noun_before_the_question_word():
    assert asked_role("退役军人志愿先锋队的队长是谁?") == "队长"
    assert asked_role("两个村的党支部书记分别是谁?") == "书记"
    assert asked_role("依工汽车公司的生产主管叫什么名字?") == "主管"
    assert asked_role("这个项目的负责人是谁?") is None  # too vague to judge
    assert asked_role("化辛小区有多少户?") is None


TEXT = "3月19日,在廊坊开发区乃自房村核酸采集现场,64岁的退役军人志愿者朱建高忙着维持秩序。阳光佳和小区"


def test_pinyin_names_are_found_in_the_corpus():
    table = build_table([TEXT])
    q = "How old is Zhu Jiangao, who helped at Naizifang village in Langfang Development Zone?"
    found = find_names(q, table)
    assert ("Zhu Jiangao", "朱建高") in found and ("Naizifang", "乃自房") in found and ("Langfang", "廊坊") in found
    assert not any(en in ("How", "Development", "Zone") for en, _ in found)
    assert find_names("Who runs Yangguang Jiahe?", table) == [("Yangguang Jiahe", "阳光佳和")]
    assert annotate("Where is Naizifang?", [("Naizifang", "乃自房")]) == "Where is Naizifang (乃自房)?"
    assert find_names("What did the Party do?", table) == []


def test_english_questions_are_read_directly():
    assert asked_groups("How many garbage trucks does the bureau own?") == {"machines"}
    assert asked_groups("How many nucleic acid tests were carried out?") == {"times"}
    assert asked_groups("How many vehicle passes had the zone issued?") == {"items"}
    assert asked_groups("How long (in km) is the border, and how many patrol personnel were there?") == {"distance", "people"}
    assert asked_groups("How old is Zhu Jiangao (朱建高)?") == {"age"}
    assert asked_groups("How much money did the zone spend on supplies?") == {"money"}
    assert asked_groups("How many ventilators does it have?") is None  # a kind we cannot tell
    assert asked_groups("Who is the director?") == set()
    assert quantity_mismatch("How many garbage trucks does the bureau own?", "每天出动12台次[1]。")
    assert quantity_mismatch("How many vehicle passes were issued?", "发放了160余张车辆通行证[1]。") is None


def test_a_quantity_of_an_unknown_kind_is_not_judged():
    assert asked_groups("花了多久?涉及多少村民?") is None
    assert quantity_mismatch("边界有多少公里?有多少巡逻人员?", "巡逻守护力量138人[1]。") is None


def test_a_measure_word_that_begins_a_longer_word_is_not_the_asked_measure():
    assert asked_groups("2024年计划招收多少本科生?") is None  # 本科生, not 本 (volumes)
    assert asked_groups("一共有多少本书?") == {"items"}
    assert asked_groups("多少辆车和多少名司机?") == {"machines", "people"}


def test_a_place_named_in_pinyin_that_no_document_reads_so_is_unknown():
    table = build_table(["廊坊开发区与北京大兴区交界", "龙潭水库位于清江西部"])
    assert unknown_places("In Langfang's Anci District, how many compounds set up checkpoints?", table) == ["Anci District"]
    assert unknown_places("How many people live near the Daxing District border?", table) == []  # 大兴
    assert unknown_places("What is the capacity of Longtan Reservoir?", table) == []
    assert unknown_places("How big is the plant in Vietnam?", table) == []  # not pinyin: not judged
    assert unknown_places("How many flights did Jianglin International Airport add?", table) == []  # no place head
