"""Cleaning the bundled newspaper page: layout repairs, captions, structure."""

from rag.ingest.cleaning import clean, ends_sentence

MAIN = "廊坊开发区发挥基层党组织战斗堡垒和党员先锋模范作用快速有效处置疫情 党旗飘在第一线 堡垒筑在最前沿"


def doc(text):
    return clean(text, "article")


def test_the_five_layout_breaks_are_joined(article_text):
    d = doc(article_text)
    body = [p.text for p in d.paragraphs if p.kind == "body"]
    joined = [
        "坚决有力推进各项疫情应急处置工作;第一时间抽调200余名机关工作人员",
        "开发区公安分局党委坚决扛起抗击疫情主力军责任",
        "必须冲在最前面。”王爱民说。",
        "每天询问企业驻厂封闭管理人员情况",
        "线上办理指南和各区工作人员联系方式",
    ]
    for phrase in joined:
        assert sum(phrase in p for p in body) == 1, phrase
    assert len(d.repairs) == 5
    # No body paragraph is left unfinished.
    assert all(ends_sentence(p) for p in body)


def test_captions_are_taken_out_of_the_body(article_text):
    d = doc(article_text)
    captions = [p for p in d.paragraphs if p.kind == "caption"]
    assert [c.text[:2] for c in captions] == ["上图", "中图", "下图"]
    assert captions[0].text.endswith("廊坊开发区供图")
    assert captions[1].text.endswith("韩少杰摄")
    for p in d.paragraphs:
        if p.kind == "body":
            assert "上图:" not in p.text and "韩少杰摄" not in p.text and "供图" not in p.text
    # captions stay in their section, at its end
    sub = captions[0].section
    assert sub == (MAIN, "筑牢疫情防控“红色堡垒”")
    last_of_section = [p for p in d.paragraphs if p.section == sub][-1]
    assert last_of_section.kind == "caption"


def test_section_tree_and_bylines(article_text):
    d = doc(article_text)
    paths = [s.path for s in d.sections]
    assert paths[0] == (MAIN,)
    assert paths[1:4] == [
        (MAIN, "筑牢疫情防控“红色堡垒”"),
        (MAIN, "织密疫情防控“红色网格”"),
        (MAIN, "守初心,担使命,凝聚疫情防控“红色力量”"),
    ]
    stories = [p for p in paths if len(p) == 1]
    assert len(stories) == 7  # the main feature and the short reports
    assert d.sections[0].byline == "河北日报记者 孟宪峰 通讯员 陈哲"
    veterans = next(s for s in d.sections if s.path == ("退役军人志愿先锋队坚守疫情防控第一线",))
    assert "许征" in veterans.byline
    last = d.sections[-1]
    assert last.path == ("廊坊开发区力保抗疫和生产两不误",)
    assert last.subtitle == "启动应急预案保障企业正常生产"


def test_offsets_point_into_cleaned_text(article_text):
    d = doc(article_text)
    for p in d.paragraphs:
        assert d.text[p.start : p.end] == p.text


def test_plain_text_without_headings_is_one_story():
    d = clean("First line of text.\n\nSecond paragraph here.", "plain", title="notes")
    assert [s.path for s in d.sections] == [("notes",)]
    assert len(d.paragraphs) == 2


def test_heading_levels_decide_without_bylines():
    md = "# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n### Linux\n\nUse apt.\n\n## Use\n\nAsk."
    d = clean(md, "guide")
    assert [s.path for s in d.sections] == [
        ("Guide",),
        ("Guide", "Install"),
        ("Guide", "Install", "Linux"),
        ("Guide", "Use"),
    ]


def test_english_layout_break_is_joined_with_a_space():
    d = clean("# T\n\nThe committee decided to\n\nadopt the plan.", "en")
    assert d.paragraphs[0].text == "The committee decided to adopt the plan."


def test_a_plain_text_headline_is_not_joined_to_the_first_paragraph():
    raw = "星驰汽车交付量创新高 同比增长42%\n\n本报讯 2023年星驰汽车交付18.6万辆。\n\n第二段。\n"
    doc = clean(raw, "d", title="d")
    assert [s.path for s in doc.sections] == [("星驰汽车交付量创新高 同比增长42%",)]
    assert doc.paragraphs[0].text == "本报讯 2023年星驰汽车交付18.6万辆。"
    assert not doc.repairs
    # a long first line, or a page with # headings, keeps the old reading
    assert clean("这是一段很长的第一行文字" * 6 + "\n\n第二段。", "d").paragraphs[0].text.startswith("这是")
    assert clean("# 标题\n\n短行\n\n正文。", "d").sections[0].path == ("标题",)
