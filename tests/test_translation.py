"""``rag.answering.translation``: what the model is given to translate a checked answer, and the
check that its English kept every figure, scale, marker and name."""

from rag.answering.translation import cite, english_scale, faithful, misscaled, prepare


def test_figures_get_their_english_scale_and_people_their_pinyin_before_translation():
    prepared = prepare("星衡科技净利润11.3亿元[1]。依工汽车公司生产主管是王海林[2]。")
    assert "1.13 billion 元" in prepared.text and "11.3" not in prepared.text  # the model copies the scale
    assert "王海林 (Wang Hailin)" in prepared.text  # jieba splits 王 / 海林
    assert "[" not in prepared.text and prepared.cited == [[1], [2]]  # markers are put back by code
    assert "钱永福 (Qian Yongfu)" in prepare("县茶叶协会会长钱永福[1]。").text  # after a title: 钱 | 永福
    assert "王浩然 (Wang Haoran)" in prepare("冠军是王浩然[1]。").text  # 王 | 浩然 (an adjective)
    assert "龙潭 (Longtan)" in prepare("龙潭水库[1]。").text  # a local place: its pinyin
    assert "(" not in prepare("星衡科技在越南设立组装基地[1]。").text.replace("星衡 (Xing Heng)", "")  # 越南: Vietnam
    assert prepare("能量密度达到每公斤175瓦时[1]。").names == {}  # a measure word after a number
    assert english_scale("5.5", "万") == "55,000" and english_scale("3215", "万") == "32.15 million"


def test_a_translation_is_faithful_only_with_every_figure_scale_marker_and_name():
    prepared = prepare("星衡科技净利润11.3亿元[1]。依工汽车公司生产主管是王海林[2]。")
    good = "Xingheng's net profit was 1.13 billion yuan [1]. The production supervisor of ITW is Wang Hailin [2]."
    assert faithful(prepared, good)
    assert not faithful(prepared, good.replace("1.13 billion", "11.3 billion"))  # 亿 is a hundred million
    assert not faithful(prepared, good.replace("Wang Hailin", "the production manager"))  # the name lost
    two = "Xingheng's net profit was 1.13 billion yuan. The production supervisor of ITW is Wang Hailin."
    assert faithful(prepared, two)
    assert cite(prepared, two) == (
        "Xingheng's net profit was 1.13 billion yuan[1]. The production supervisor of ITW is Wang Hailin[2]."
    )
    one = "Xingheng's net profit was 1.13 billion yuan, and the production supervisor of ITW is Wang Hailin."
    assert not faithful(prepared, one)  # two sentences citing different sources made one: markers cannot go back
    won = prepare("王浩然以2小时11分08秒获得男子全程冠军[1]。")
    assert faithful(won, "Wang Haoran won the men's title in 2 hours 11 minutes 8 seconds.")  # 08 is 8
    assert not faithful(prepared, good.replace("1.13 billion", "1.5 billion"))  # another figure


def test_a_rounded_english_figure_is_not_misscaled_but_a_tenfold_one_is():
    assert misscaled("about 32 million passengers", "旅客吞吐量3215万人次") == []
    assert misscaled("11.3 billion yuan", "净利润11.3亿元") == ["11.3 billion"]


def test_a_translation_adding_a_place_the_answer_does_not_name_is_not_faithful():
    prepared = prepare("汀南省星级酒店平均入住率为78.6%[1]。")
    good = "The average occupancy rate of star-rated hotels in Tingnansheng was 78.6%."
    assert faithful(prepared, good)
    assert not faithful(prepared, good.replace("Tingnansheng", "Tingnansheng, Sichuan Province"))
