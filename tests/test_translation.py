"""``rag.answering.translation``: what the model is given to translate a checked answer, and the
check that its English kept every figure, scale, marker and name."""

from rag.answering.translation import english_scale, faithful, misscaled, prepare


def test_figures_get_their_english_scale_and_people_their_pinyin_before_translation():
    prepared = prepare("星衡科技净利润11.3亿元[1]。依工汽车公司生产主管是王海林[2]。")
    assert "11.3亿元 (1.13 billion)" in prepared.text
    assert "王海林 (Wang Hailin)" in prepared.text  # jieba splits 王 / 海林
    assert english_scale("5.5", "万") == "55,000" and english_scale("3215", "万") == "32.15 million"


def test_a_translation_is_faithful_only_with_every_figure_scale_marker_and_name():
    prepared = prepare("星衡科技净利润11.3亿元[1]。依工汽车公司生产主管是王海林[2]。")
    good = "Xingheng's net profit was 1.13 billion yuan [1]. The production supervisor of ITW is Wang Hailin [2]."
    assert faithful(prepared, good)
    assert not faithful(prepared, good.replace("1.13 billion", "11.3 billion"))  # 亿 is a hundred million
    assert not faithful(prepared, good.replace("Wang Hailin", "the production manager"))  # the name lost
    assert not faithful(prepared, good.replace(" [2]", ""))  # a marker lost
    assert not faithful(prepared, good.replace("1.13 billion", "1.5 billion"))  # another figure


def test_a_rounded_english_figure_is_not_misscaled_but_a_tenfold_one_is():
    assert misscaled("about 32 million passengers", "旅客吞吐量3215万人次") == []
    assert misscaled("11.3 billion yuan", "净利润11.3亿元") == ["11.3 billion"]
