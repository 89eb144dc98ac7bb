"""General rules of ``rag.answering.constraints`` (each one justified by the language, judged on
the dev splits): names, the year a sentence is about, translated questions, kinds of measure."""

from rag.answering import constraints


def test_a_common_word_the_tagger_calls_a_person_is_not_a_name():
    assert "师傅" not in constraints.names("开车的师傅有多少位?")  # in the dictionary 1,976 times
    assert "王殿福" in constraints.names("王殿福是哪个村的党支部书记?")  # a name is not


def test_a_sentence_naming_no_year_is_about_the_narratives_year_not_a_comparisons_baseline():
    document = "2024年海州港完成集装箱吞吐量1860万标准箱,比2023年的1700万标准箱增加160万。银滩港区全年完成吞吐量480万标准箱。"
    sentence = "银滩港区全年完成吞吐量480万标准箱。"
    asked_2024 = constraints.of_question("海州港银滩港区2024年集装箱吞吐量是多少?")
    asked_2023 = constraints.of_question("海州港银滩港区2023年集装箱吞吐量是多少?")
    assert constraints.uncovered(asked_2024, "480万标准箱", sentence, "银滩港区", document) is None
    assert "year 2023" in constraints.uncovered(asked_2023, "480万标准箱", sentence, "银滩港区", document)


def test_a_translated_question_keeps_only_the_askers_years_and_no_names():
    asked = constraints.of_question("截至2023年3月19日,德国企业有多少人驻厂?")  # the model's translation
    kept = constraints.translated(asked, "As of March 19, how many people of the German firm stay on site?")
    assert kept.years == set() and kept.names == [] and kept.parts == []


def test_shares_and_growth_are_recognised_by_their_constructions():
    assert "share" in constraints.measures("有机茶园面积3.2万亩,占全县茶园面积的40%。")
    assert "growth" in constraints.measures("涉茶农户人均增收4200元。")
    assert constraints.measures("全县茶园面积8万亩。") == set()
    # one particular day is not a figure per day
    assert "daily" in constraints.measures("旺季一天接待游客2万人次。")
    assert constraints.measures("开诊第一天接诊急诊病人192人次。") == set()


def test_a_year_a_sentence_compares_against_is_not_the_year_it_is_about():
    document = "6月12日,江州理工大学公布2024年本科招生计划。学校今年计划招收本科生6850人,比2023年的6500人增加350人。"
    sentence = "学校今年计划招收本科生6850人,比2023年的6500人增加350人。"
    asked_2024 = constraints.of_question("江州理工大学2024年计划招收多少本科生?")
    asked_2022 = constraints.of_question("江州理工大学2022年计划招收多少本科生?")
    assert constraints.uncovered(asked_2024, "江州理工大学2024年计划招收本科生6850人", sentence, document, document) is None
    assert "year 2022" in constraints.uncovered(asked_2022, "江州理工大学2022年计划招收本科生6850人", sentence, document, document)
    assert constraints.years(sentence) == {"2023"} and constraints.years(sentence, baselines=False) == set()


def test_an_amount_or_a_head_count_is_not_a_year():
    assert constraints.years("8万亩可为农民增收约2080万元。") == set()
    assert constraints.years("2000多名志愿者和2000人参赛,编号12024。") == set()
    assert constraints.years("2024青川马拉松于2019年6月开工,计划到2030年完工。") == {"2024", "2019", "2030"}
    # a sentence whose amount looked like a year is about its document's year
    document = "2024年计划推广面积扩大到8万亩。8万亩可为农民增收约2080万元。"
    asked = constraints.of_question("2024年“海稻16”能为农民增收多少?")
    assert constraints.uncovered(asked, "增收约2080万元", "8万亩可为农民增收约2080万元。", document, document) is None


def test_a_comparisons_baseline_year_is_not_a_year_the_chunk_is_about():
    chunk = "3月24日,2024云港半程马拉松鸣枪开跑,参赛人数比2023年增加了2.4万人。女子半程冠军由方敏获得,成绩为1小时10分33秒。"
    sentence = "女子半程冠军由方敏获得,成绩为1小时10分33秒。"
    asked = constraints.of_question("2023年云港半程马拉松女子半程冠军跑出了什么成绩?")
    assert "year 2023" in constraints.uncovered(asked, "1小时10分33秒", sentence, chunk, chunk)


def test_a_change_on_the_period_before_does_not_answer_one_on_the_year_before():
    sentence = "其中6月交付1.8万辆,环比增长12%。"
    yoy = constraints.of_question("远航汽车2024年6月的交付量比2023年6月增长了多少?")
    mom = constraints.of_question("远航汽车2024年6月的交付量比5月增长了多少?")
    chunk = "2024年上半年远航汽车交付9.4万辆。" + sentence + "而2023年全年这一比例仅为9%。"
    assert "year before" in constraints.uncovered(yoy, "比2023年6月增长了12%", sentence, chunk)
    assert constraints.uncovered(mom, "比5月增长了12%", sentence, chunk) is None


def test_a_target_is_not_what_happened_and_what_happened_is_not_a_forecast():
    target = "2024年,机场的旅客吞吐量目标为3600万人次。"
    actual = constraints.of_question("江临机场2024年实际完成的旅客吞吐量是多少?")
    asked_target = constraints.of_question("江临机场2024年的旅客吞吐量目标是多少?")
    assert "actually" in constraints.uncovered(actual, "3600万人次", target, "江临机场" + target)
    assert constraints.uncovered(asked_target, "3600万人次", target, "江临机场" + target) is None
    first_day = "开诊首日,东院区门诊量达3260人次,急诊接诊192人次。"
    forecast = constraints.of_question("东院区全面运行后预计每年急诊接诊量是多少?")
    assert "planned" in constraints.uncovered(forecast, "192人次", first_day, "东院区" + first_day)


def test_a_copied_sentence_is_judged_on_the_clause_about_what_was_asked():
    # the claim copies the whole sentence: its first number (10点) is not the answer, 30万人次 is
    sentence = "公园将延长开放时间,每晚开放至10点,预计国庆期间接待游客约30万人次。"
    actual = constraints.of_question("国庆期间公园实际接待了多少游客?")
    assert "actually" in constraints.uncovered(actual, sentence, sentence, "湖滨公园" + sentence)
    hours = constraints.of_question("公园每晚实际开放至几点?")
    assert constraints.uncovered(hours, sentence, sentence, "湖滨公园" + sentence) is None


def test_a_figure_for_a_larger_place_does_not_answer_for_a_place_inside_it():
    whole = "其中东湖区新建学校5所,西山区3所。全市小学入学率由96.1%提高到98.4%。"
    district = constraints.of_question("西山区的小学入学率提高到多少?")
    city = constraints.of_question("河阳市的小学入学率提高到多少?")
    sentence = "全市小学入学率由96.1%提高到98.4%。"
    assert "全市" in constraints.uncovered(district, "西山区的小学入学率提高到98.4%", sentence, whole)
    assert constraints.uncovered(city, "河阳市的小学入学率提高到98.4%", sentence, "河阳市" + whole) is None
    # a port's figure, its subject named earlier in the paragraph, is not one of its terminals'
    para = "2024年,宁港完成集装箱吞吐量900万标准箱。全年货物吞吐量达到2.1亿吨。\n北仑湾港区是主力港区。"
    terminal = constraints.of_question("2024年宁港北仑湾港区的货物吞吐量是多少?")
    port = constraints.of_question("2024年宁港的货物吞吐量是多少?")
    claim, sentence = "货物吞吐量达到2.1亿吨", "全年货物吞吐量达到2.1亿吨。"
    assert "figure for 宁港" in constraints.uncovered(terminal, claim, sentence, para, para)
    assert constraints.uncovered(port, claim, sentence, para, para) is None


def test_a_museums_figure_is_not_one_of_its_branch_named_under_it():
    para = "南湖博物馆馆长介绍,去年全馆接待观众210万人次。特展期间预计日均接待观众0.9万人次。"
    sentence = "特展期间预计日均接待观众0.9万人次。"
    branch = constraints.of_question("特展期间,南湖博物馆河西分馆预计日均接待多少观众?")
    museum = constraints.of_question("特展期间,南湖博物馆预计日均接待多少观众?")
    doc = para + "河西分馆同步推出数字展厅。"
    assert "南湖博物馆" in constraints.uncovered(branch, "预计日均接待观众0.9万人次", sentence, para, doc)
    assert constraints.uncovered(museum, "预计日均接待观众0.9万人次", sentence, para, doc) is None


def test_a_figure_whose_paragraph_names_another_body_of_the_asked_kind_is_that_bodys():
    para = "南湖国际机场位于南湖新区。按照规划,2025年机场旅客吞吐量目标为1500万人次。"
    sentence = "按照规划,2025年机场旅客吞吐量目标为1500万人次。"
    other = constraints.of_question("北岭国际机场2025年的旅客吞吐量目标是多少?")
    same = constraints.of_question("南湖国际机场2025年的旅客吞吐量目标是多少?")
    assert "北岭" in constraints.uncovered(other, "1500万人次", sentence, para, "北岭" + para)
    assert constraints.uncovered(same, "1500万人次", sentence, para, para) is None


def test_another_item_in_the_answers_own_frame_is_not_the_asked_one():
    asked = constraints.of_question("青川市运动会上,参加游泳项目的学生占参赛总人数的比例是多少?")
    sentence = "参加新兴项目的学生占参赛总人数的18%。"
    chunk = "青川市运动会的游泳、射击等项目在分赛场举行。" + sentence
    claim = "青川市运动会上,参加游泳项目的学生占参赛总人数的比例是18%"
    assert "新兴" in constraints.uncovered(asked, claim, sentence, chunk)
    # the same subject said another way is not another item: 赛事 is the 云港半马 of the question
    asked = constraints.of_question("云港半马举办期间,全市酒店的入住率达到多少?")
    sentence = "据测算,赛事期间全市酒店入住率达到91%。"
    chunk = "云港半马已连续举办8届。" + sentence
    assert constraints.uncovered(asked, "云港半马举办期间,全市酒店的入住率达到91%", sentence, chunk) is None


def test_a_target_the_question_compares_with_is_not_a_question_about_the_target():
    asked = constraints.of_question("远航汽车2023年全年交付量比年初制定的目标少了多少辆?")
    sentence = "2023年,远航汽车全年交付16.2万辆,比年初制定的17万辆目标少0.8万辆。"
    assert constraints.uncovered(asked, "比目标少了0.8万辆", sentence, sentence) is None


def test_a_name_the_document_gives_only_in_another_paragraph_is_not_what_the_figure_is_about():
    title = "清河右岸防洪工程全线完工"
    para = "12月8日,清河市清河右岸防洪工程全线完工。工程新建和加固堤防32公里,新建泵站5座。"
    other = "工程范围覆盖北城区和东城区。其中东城区段长14公里。"
    context, document = f"{title}\n{para}\n\n{other}", f"{title}\n\n{para}\n\n{other}"
    sentence = "工程新建和加固堤防32公里,新建泵站5座。"
    part = constraints.of_question("清河右岸防洪工程东城区段新建了多少座泵站?")
    assert "东城区" in constraints.uncovered(part, "东城区段新建了5座泵站", sentence, context, document)
    whole = constraints.of_question("清河右岸防洪工程新建了多少座泵站?")
    assert constraints.uncovered(whole, "新建了5座泵站", sentence, context, document) is None
    # a question of two parts: the paragraph need only be about the part it answers
    both = constraints.of_question("清河右岸防洪工程新建了多少座泵站?东城区段有多长?")
    assert constraints.uncovered(both, "新建了5座泵站", sentence, context, document) is None
    # a name in the report's title is what all of it is about
    titled = f"东城区段防洪工程完工\n{para}"
    assert constraints.uncovered(part, "东城区段新建了5座泵站", sentence, titled, f"{titled}\n\n{other}") is None


def test_a_claim_without_a_figure_is_about_the_body_its_paragraph_names():
    para = "3月17日,在捷达汽车系统有限公司车间内,为北京奔驰配套的座椅加热系统正在加紧生产。"
    document = f"企业\n\n{para}\n\n默勒科技公司运输车辆的难题也已解决。"
    asked = constraints.of_question("默勒科技公司为北京奔驰配套生产什么产品?")
    claim = "默勒科技公司为北京奔驰配套生产座椅加热系统"
    assert "默勒" in constraints.uncovered(asked, claim, para, f"企业\n{para}", document)


def test_a_village_named_in_one_word_is_a_name():
    assert "化营" in constraints.names("化营村有多少名村干部在岗?")
    assert "开发" not in constraints.names("开发区有多少名村干部在岗?")  # a common word before its head is no name


def test_a_figure_whose_clause_names_another_side_or_number_of_the_asked_part_is_that_parts():
    sentence = "大二及以上学生仍在南岸校区学习。北岸新校区占地2100亩,新建的实验楼已投入使用。"
    south = constraints.of_question("学校的南岸校区占地多少亩?")
    north = constraints.of_question("学校的北岸校区占地多少亩?")
    clause = "北岸新校区占地2100亩,新建的实验楼已投入使用。"
    assert "北岸" in constraints.uncovered(south, "南岸校区占地2100亩", clause, sentence, sentence)
    assert constraints.uncovered(north, "北岸校区占地2100亩", clause, sentence, sentence) is None


def test_a_figure_stated_before_a_semicolon_is_about_that_statements_place():
    sentence = "石岭镇是全县最大的产区,今年种植面积9.4万亩,总产量3.7万吨;河湾乡种植面积5.3万亩,亩产略低。"
    context = "云山县早稻丰收\n" + sentence
    other = constraints.of_question("云山县河湾乡的早稻总产量是多少?")
    same = constraints.of_question("云山县石岭镇的早稻总产量是多少?")
    assert "石岭镇" in constraints.uncovered(other, "河湾乡的早稻总产量是3.7万吨", sentence, context, context)
    assert constraints.uncovered(same, "石岭镇的早稻总产量是3.7万吨", sentence, context, context) is None


def test_a_figure_a_sum_takes_must_be_the_asked_parts_not_the_larger_places():
    from rag.answering.constraints import of_question, operand_clash

    asked = of_question("2024年海州港金沙湾港区和银滩港区的集装箱吞吐量加起来是多少？")
    whole = "海州港集团1月9日发布数据，2024年海州港完成集装箱吞吐量1860万标准箱，同比增长9.4%。"
    parts = "金沙湾港区是海州港的主力港区，全年完成集装箱吞吐量1120万标准箱；银滩港区全年完成吞吐量480万标准箱。"
    document = f"{whole}\n{parts}"
    assert "海州港" in (operand_clash(asked, whole, whole, document, "1860万") or "")
    assert operand_clash(asked, parts, parts, document, "1120万") is None
    assert operand_clash(asked, parts, parts, document, "480万") is None


def test_a_place_name_jieba_cuts_into_pieces_is_still_a_name():
    # 廊坊开发区|阳光|佳|和|小区: the compound's own name sits between the larger place and its head
    assert "阳光佳和" in constraints.names("廊坊开发区阳光佳和小区有多少名未返校大学生投身疫情防控工作？")
    assert constraints.names("廊坊开发区有多少名未返校大学生投身疫情防控工作？") == ["廊坊"]


def test_a_change_without_its_own_subject_is_the_change_of_what_the_clause_before_states():
    sentence = "报告显示，公司全年实现营业收入128.6亿元，同比增长18.2%；净利润11.3亿元，同比增长25.6%。"
    chunk = f"星衡科技发布2024年年度报告。{sentence}\n公司全年研发投入16.7亿元，占营业收入的13%。"
    asked = constraints.of_question("星衡科技2024年研发投入同比增长了多少？")
    why = constraints.uncovered(asked, "星衡科技2024年研发投入同比增长25.6%。", sentence, chunk)
    assert why and "净利润" in why
    profit = constraints.of_question("星衡科技2024年净利润同比增长了多少？")
    assert constraints.uncovered(profit, "星衡科技2024年净利润同比增长25.6%。", sentence, chunk) is None
    # a measure the chunk never states (营收 for its 营业收入) is a paraphrase, not another measure
    revenue = constraints.of_question("星衡科技2024年营收同比增长了多少？")
    assert constraints.uncovered(revenue, "星衡科技2024年营收同比增长18.2%。", sentence, chunk) is None


def test_a_part_of_a_question_pointing_back_reads_on_its_own():
    assert constraints.parts("星衡科技的董事长是谁？该公司有多少名研发人员？") == ["星衡科技的董事长是谁", "该公司有多少名研发人员"]
    first = "2023年江临国际机场单日旅客吞吐量最高出现在哪一天"
    assert constraints.standalone("截至2023年底共有多少家航空公司在该机场运营", first) == "截至2023年底共有多少家航空公司在江临国际机场运营"
    # no name with that head before it: the first name it gives
    assert constraints.standalone("该公司有多少名研发人员", "星衡科技的董事长是谁").startswith("星衡")
    assert constraints.standalone("他说了什么", "星衡科技的董事长是谁") == "他说了什么"


def test_one_particular_day_is_not_a_figure_per_day():
    assert constraints.measures("单日旅客吞吐量最高出现在哪一天?") == {"daily"}  # 单日 is
    assert constraints.measures("两个村的党支部书记是在哪一天凌晨接到指令的?") == set()
    document = "2023年江临国际机场共完成旅客吞吐量3215万人次。2023年，机场日均起降航班约690架次。单日旅客吞吐量最高出现在10月2日，达到11.6万人次。"
    # a daily figure does not answer a question that asks for none ...
    asked = constraints.of_question("2023年江临国际机场起降航班多少架次?")
    assert "daily" in constraints.uncovered(asked, "2023年江临国际机场起降航班约690架次", "2023年，机场日均起降航班约690架次。", document, document)
    # ... but per day qualifies a quantity: a date from such a sentence is none
    asked = constraints.of_question("2023年江临国际机场旅客吞吐量最高出现在几月几日?")
    sentence = "单日旅客吞吐量最高出现在10月2日，达到11.6万人次。"
    assert constraints.uncovered(asked, "2023年江临国际机场旅客吞吐量最高出现在10月2日", sentence, document, document) is None
    # and a question about one particular day is answered by that day's figure
    asked = constraints.of_question("2023年江临国际机场旅客最多的是哪一天?当天有多少人次?")
    sentence = "单日旅客吞吐量最高出现在10月2日，达到11.6万人次。"
    assert constraints.uncovered(asked, "旅客最多的是10月2日，当天有11.6万人次", sentence, document, document) is None


def why(question: str, claim: str, sentence: str, document: str = "") -> str | None:
    """Why ``sentence`` (in ``document``, its chunk too) does not answer ``question`` with ``claim``."""
    document = document or sentence
    return constraints.uncovered(constraints.of_question(question), claim, sentence, document, document)


def test_a_plan_a_figure_is_computed_from_does_not_make_the_question_ask_for_a_plan():
    document = "2024年计划推广面积扩大到8万亩。按每亩增收约260元计算，8万亩可为农民增收约2080万元。"
    sentence = "按每亩增收约260元计算，8万亩可为农民增收约2080万元。"
    assert why("按照2024年推广8万亩的计划测算，能为农民带来多少增收?", "8万亩可为农民增收约2080万元", sentence, document) is None
    # asked for a plan itself, a sentence stating no plan or future does not answer
    assert "planned" in why("按计划能为农民增收多少?", "农民增收约2080万元", "农民增收约2080万元。")


def test_each_part_of_a_question_asks_its_own_kind_of_measure():
    document = "2023年，机场日均起降航班约690架次。截至2023年底，共有52家航空公司在江临国际机场运营。"
    sentence = "截至2023年底，共有52家航空公司在江临国际机场运营。"
    both = "2023年江临国际机场单日旅客吞吐量最高出现在哪一天？截至2023年底共有多少家航空公司在该机场运营？"
    assert why(both, "截至2023年底，共有52家航空公司在江临国际机场运营", sentence, document) is None
    assert "daily" in why("2023年江临国际机场日均有多少家航空公司运营？", "2023年江临国际机场有52家航空公司运营", sentence, document)


def test_a_figure_counted_with_ge_must_name_what_the_source_counts_with_it():
    source = "3月20日,在廊坊开发区阳光佳和小区,社区党支部书记马书丽等19名社区工作者紧张忙碌,一刻不停。"
    assert "社区" in constraints.unit_clash("廊坊开发区设立的党员先锋队有19个", source, "廊坊开发区设立了多少个党员先锋队?")
    assert constraints.unit_clash("小区有19个社区工作者", source) is None
    assert constraints.unit_clash("设立党员先锋队27个", "全区共设立党员先锋岗112个、党员先锋队27个。") is None


def test_rates_are_shares_and_each_person_is_per_person():
    assert "share" in constraints.measures("秋粮机收率达到93.5%。")
    assert "share" in constraints.measures("全省星级酒店平均入住率为78.6%。")
    assert "share" not in constraints.measures("营业收入增长率为12%。")
    assert "per_person" in constraints.measures("国庆假期来省里游玩的游客，平均每人花了多少钱?")


def test_this_year_in_a_question_is_the_reports_year():
    document = "栖梧大学今年计划招收本科生7420人\n\n6月26日，栖梧大学发布2024年本科招生计划。\n\n东麓校区于2021年启用，当年招收本科生1500人。"
    assert constraints.report_year(document) == {"2024"}
    asked = constraints.of_question("栖梧大学东麓校区今年打算招多少名本科生?")
    why = constraints.uncovered(asked, "1500名", "东麓校区于2021年启用，当年招收本科生1500人。", "东麓校区", document)
    assert "this year (2024)" in why
    plan = "今年该校计划招收本科生7420人，其中东麓校区2240人。"
    assert constraints.uncovered(asked, "2240名", plan, "栖梧大学今年计划招收本科生7420人\n" + plan, document + "\n\n" + plan) is None


def test_a_place_named_without_its_generic_word_has_the_level_the_documents_give_it():
    assert constraints.places("禾阳市国庆假期接待了多少游客?") == [("禾阳市", "禾阳", 2)]
    document = "分城市看，宁渚市接待游客635万人次。全省星级酒店平均入住率为78.6%。"
    assert constraints.places("宁渚国庆假期的酒店入住率是多少?", document) == [("宁渚", "宁渚", 2)]
    asked = constraints.of_question("宁渚国庆假期的星级酒店平均入住率是多少?")
    why = constraints.uncovered(asked, "78.6%", "全省星级酒店平均入住率为78.6%。", document, document)
    assert "全省" in why


def test_a_figure_is_the_amount_of_what_its_document_names():
    known = lambda word: 1.0  # noqa: E731 -- every word is one the corpus uses
    asked = constraints.of_question("远航汽车2024年上半年的营业收入是多少?", known=known)
    assert asked.measured == "营业收入"
    document = "远航汽车上半年交付9.4万辆\n\n2024年上半年累计交付新能源汽车9.4万辆。上半年远航汽车研发投入达到21.5亿元，同比增长35%。"
    why = constraints.uncovered(asked, "21.5亿元", "上半年远航汽车研发投入达到21.5亿元，同比增长35%。", document, document)
    assert "never names 营业收入" in why
    # a paraphrase the corpus never uses is not looked for; kinds of measure are judged as kinds
    assert constraints.of_question("酒店的住满程度是多少?", known=lambda w: None).measured == ""
    assert constraints.of_question("书展销售额的涨幅是多少?", known=known).measured == ""


def test_a_score_or_a_minute_is_no_count_of_people():
    assert constraints.unit_clash("录取分数线是60分", "其中人工智能专业计划招生120人、智慧农业专业60人。")


def test_a_count_of_routes_is_no_count_of_airlines():
    # 条 counts routes; the source gives that number with 家, a count of companies
    assert "31家" in constraints.unit_clash("机场运营的航线共有31条", "共有31家航空公司在机场运营。")
    assert constraints.unit_clash("机场运营的航线共有31条", "机场运营航线31条。") is None


def test_which_one_does_something_is_answered_by_a_source_stating_that_doing():
    question = "宁渚市新增的纯电动公交车是哪家车企生产的?"
    chunk = "宁渚市新增纯电动公交车420辆。宁渚绿能充电有限公司负责建设和运营其中的780个充电桩。"
    asked = constraints.of_question(question)
    assert "生产" in constraints.uncovered(asked, "宁渚绿能充电有限公司生产的", chunk, chunk, chunk)
    stated = "宁渚市新增的纯电动公交车由禾阳客车公司生产。"
    assert constraints.uncovered(asked, "禾阳客车公司生产的", stated, stated, stated) is None
    # a question of several parts: the part without an asking word does not need the verb
    two = constraints.of_question("蔡文涛在哪个村经营民宿?旅游节期间全县民宿平均入住率达到多少?")
    assert constraints._relation_unstated(two.question, "全县民宿平均入住率达到96%。") is not None
    assert constraints._relation_unstated(two.question, "蔡文涛在灯塔村经营民宿已有15年。") is None


def test_vessels_are_no_vehicles():
    assert constraints.quantity_clash("蓝盾应急救援队出动了几辆车?", "出动冲锋舟8艘", "蓝盾应急救援队出动冲锋舟8艘。")


def test_a_bare_figure_is_about_the_item_its_question_names():
    # 其中 lists parallel parts; 45 is stated in the clause about 教师, not 职员
    sentence = "全校现有教职工860人,其中教师610人、职员250人,教师中有45人具有海外学历。"
    staff = constraints.of_question("该校职员中有多少人具有海外学历?")
    teachers = constraints.of_question("该校教师中有多少人具有海外学历?")
    assert "another item" in constraints.uncovered(staff, "45人[1]。", sentence, sentence)
    assert constraints.uncovered(teachers, "45人[1]。", sentence, sentence) is None


def test_a_figure_for_a_whole_does_not_answer_for_a_part_listed_after_qizhong():
    para = "今年全厂共生产电机12万台,其中交流电机8万台、直流电机4万台。全厂产品合格率为99.2%。"
    part = constraints.of_question("今年直流电机的产品合格率是多少?")
    whole = constraints.of_question("今年该厂的产品合格率是多少?")
    sentence = "全厂产品合格率为99.2%。"
    assert "全厂" in constraints.uncovered(part, "直流电机的产品合格率为99.2%", sentence, para)
    assert constraints.uncovered(whole, "该厂的产品合格率为99.2%", sentence, para) is None


def test_a_noun_before_a_generic_word_only_a_part_takes_is_that_parts_name():
    # jieba tags 梨园 a plain noun; before 街道 it names a street office like any place
    assert ("梨园街道", "梨园", constraints._LEVEL["街道"]) in constraints.places("江滨区梨园街道有多少家养老驿站?")
    sentence = "分街道看,梨园街道建成养老驿站12家,日均服务800人次;桂园街道建成9家。"
    asked = constraints.of_question("江滨区桂园街道的养老驿站每天服务多少人次?")
    assert constraints.uncovered(asked, "桂园街道的养老驿站每天服务800人次", sentence, sentence) is not None


def test_a_sentence_saying_this_year_is_about_the_reports_year_not_the_last_year_named():
    document = "2024年梅岭县夏粮收购工作启动\n2024年梅岭县夏粮总产量12万吨。2023年全县建成烘干中心3座。\n今年全县新建烘干中心2座。"
    sentence = "今年全县新建烘干中心2座。"
    asked_2024 = constraints.of_question("梅岭县2024年新建了多少座烘干中心?")
    asked_2023 = constraints.of_question("梅岭县2023年新建了多少座烘干中心?")
    context = "2024年梅岭县夏粮收购工作启动\n" + sentence  # the chunk under its section
    assert constraints.uncovered(asked_2024, "2座", sentence, context, document) is None
    assert "year 2023" in constraints.uncovered(asked_2023, "2座", sentence, context, document)


def test_a_bare_generic_head_in_the_source_is_the_body_it_is_about_not_another_item():
    # 公司 refers back to the company the paragraph names; it is no other item in the answer's frame
    sentence = "公司财务总监李明介绍,新工厂投产后,公司总年产能达到30万吨,日均生产约900吨。"
    context = "鲜禾食品新工厂投产。" + sentence
    claim = "新工厂投产后,鲜禾食品的总年产能达到30万吨。"
    assert constraints._substituted("新工厂投产后,鲜禾食品的总年产能达到多少?", claim, sentence, context) is None


def test_a_conjunction_or_comparative_glued_to_an_unknown_name_is_not_part_of_the_name():
    assert constraints.names("应急管理局局长和禾阳粮润米业有限公司的总经理相差几岁?") == ["禾阳"]
    assert "和平区" in constraints.names("沈阳市和平区有多少人?")  # a name in the dictionary stays whole


def test_a_total_is_no_figure_of_a_part_the_question_names():
    # 共/全县 sum the parts: a town or a branch the sentence never names has no figure there
    sentence = "全县共建成烘干中心18座。"
    context = "梅岭县烘干中心建设提速\n" + sentence
    document = context + "\n石桥镇新建粮库一座。"
    town = constraints.of_question("梅岭县石桥镇共有多少座烘干中心?")
    county = constraints.of_question("梅岭县共有多少座烘干中心?")
    assert "a total, not the figure of 石桥镇" in constraints.uncovered(town, "18座", sentence, context, document)
    assert constraints.uncovered(county, "18座", sentence, context, document) is None
    branch = constraints.of_question("青峰体育中心分赛场有多少名志愿者?")
    games = "运动会开幕,青峰体育中心承办游泳比赛。\n本届运动会共有志愿者500人。"
    assert "a total, not the figure of" in constraints.uncovered(branch, "志愿者500人", "本届运动会共有志愿者500人。", games)
    own = "青峰体育中心分赛场共有志愿者80人。"
    assert constraints.uncovered(branch, "志愿者80人", own, own) is None


def test_who_says_a_figure_is_no_item_of_it():
    sentence = "公司副总裁、电机研究院院长王丽（45岁）介绍，该系统的最高效率达到96%。"
    context = "星河电机自研的“青锋”电驱系统已搭载于全部新车型。" + sentence
    claim = "青锋电驱系统最高效率达到96%"
    assert constraints._substituted("星河电机自研的“青锋”电驱系统，效率最高能达到多少？", claim, sentence, context) is None


def test_the_item_a_source_names_instead_is_its_whole_word():
    # the differing piece 明前 is part of the word 明前茶: that tea's price is no price of 有机茶
    sentence = "今年明前茶收购价最高达到每斤900元。"
    context = "松阳县茶园20万亩,其中有机茶园3万亩。" + sentence
    claim = "今年松阳县有机茶的收购价最高达到每斤900元"
    why = constraints._substituted("今年松阳县有机茶的收购价最高达到每斤多少钱?", claim, sentence, context)
    assert why and "明前茶" in why


def test_a_word_an_aspect_particle_follows_is_a_verb_not_a_name():
    assert "新开通" not in constraints.names("宁川港上半年新开通了几条外贸航线?")
    assert "宁川港" in constraints.names("宁川港上半年新开通了几条外贸航线?")
