"""PDF, DOCX and HTML ingest: title and source kept, main text only, PDF page numbers on
chunks and citations, and clear ``InputError``s (naming the file) for files that cannot be read.
Every input file is made by the test itself; PDFs with Chinese text need the WenQuanYi font."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from rag.answering.chain import AnswerChain
from rag.documents import Paragraph
from rag.errors import InputError
from rag.index.store import Store, document_from_json
from rag.ingest import ingest
from rag.ingest.cleaning import clean
from rag.models.fake import FakeChatModel
from rag.settings import Settings

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
needs_cjk_font = pytest.mark.skipif(
    not CJK_FONT.exists(), reason=f"no CJK font at {CJK_FONT} to write Chinese PDFs (scripts/setup.sh --test installs it)"
)

PAGE_TWO = "开发区今年新引进企业一百二十家,其中外资企业三十家,总投资达到四百亿元人民币。"
PAGES = [
    "开发区位于廊坊市区东部,成立于1992年,是国家级经济技术开发区。\n园区规划面积六十七平方公里,聚集了电子信息、生物医药等产业。",
    PAGE_TWO + "\n开发区负责人介绍,新能源汽车零部件和生物医药两个产业园预计明年底",  # continues on page 3
    "建成投产,届时可新增就业岗位八千个。\n明年开发区还将新建三所学校和一家三甲医院。",
]


def make_pdf(path: Path, pages: list[str], title: str | None = None, footer: bool = True) -> Path:
    """A PDF with one page per text (lines as written), a real text layer, and ``- n -`` footers."""
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (the test extra) writes the test PDFs")
    pdf = fpdf.FPDF()
    pdf.set_auto_page_break(False)  # one page per text, footer included
    if title:
        pdf.set_title(title)
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=11)
    for n, text in enumerate(pages, 1):
        pdf.add_page()
        for line in text.split("\n"):
            pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
        if footer:
            pdf.set_y(-20)
            pdf.cell(0, 7, f"- {n} -", align="C")
    pdf.output(str(path))
    return path


def settings_for(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "d")


def chunks_of(settings: Settings, doc_id: str) -> list[tuple[str, str, dict]]:
    return Store(settings).all_chunks(doc_id)


# -- PDF --------------------------------------------------------------------------------------
@needs_cjk_font
def test_pdf_keeps_title_text_and_page_numbers(tmp_path):
    s = settings_for(tmp_path)
    pdf = make_pdf(tmp_path / "report.pdf", PAGES, title="廊坊开发区年度报告")
    report = ingest([pdf], s)
    assert report.documents == ["report"]
    doc = Store(s).get_document("report")
    assert doc.source == str(pdf.resolve())
    assert doc.sections[0].path == ("廊坊开发区年度报告",)  # the PDF's metadata title
    assert PAGE_TWO in doc.text
    assert not re.search(r"- \d -", doc.text)  # running page numbers are dropped
    # the paragraph broken by the end of page 2 is joined again, and knows where page 3 begins
    joined = next(p for p in doc.paragraphs if "预计明年底建成投产" in p.text)
    assert joined.page == 2 and joined.page_breaks == [[joined.start + joined.text.index("建成投产"), 3]]
    pages = {}
    for _, text, meta in chunks_of(s, "report"):
        pages[text] = meta["page"]
    assert [pages[t] for t in pages if PAGE_TWO in t] == [2]
    assert [pages[t] for t in pages if "1992年" in t] == [1]
    assert [pages[t] for t in pages if "三甲医院" in t] == [3]


def test_running_headers_and_page_numbers_are_dropped():
    from rag.ingest.formats import _without_running_lines

    pages = [f"河北日报 2022年3月21日\n第{n}版正文,共有{n * 10}名志愿者参加。\n第 {n} 页 共 4 页" for n in range(1, 5)]
    assert _without_running_lines(pages) == [f"第{n}版正文,共有{n * 10}名志愿者参加。" for n in range(1, 5)]
    two = ["河北日报 2022年3月21日\n正文一。", "河北日报 2022年3月21日\n正文二。"]
    assert _without_running_lines(two) == two  # too few pages to tell a running header


@needs_cjk_font
def test_pdf_without_a_metadata_title_takes_its_headline_or_file_name(tmp_path):
    s = settings_for(tmp_path)
    headline = make_pdf(tmp_path / "a.pdf", ["开发区新闻简报\n" + PAGES[0]])
    plain = make_pdf(tmp_path / "b.pdf", [PAGES[0]], title="Microsoft Word - b.docx")  # a placeholder title
    ingest([headline, plain], s)
    assert Store(s).get_document("a").sections[0].path == ("开发区新闻简报",)
    assert Store(s).get_document("b").sections[0].path == ("b",)


def test_old_stored_documents_without_pages_still_load():
    doc = dataclasses.asdict(clean("# 标题\n\n正文一句。", "old", source="x.txt"))
    for p in doc["paragraphs"]:
        del p["page"], p["page_breaks"]
    loaded = document_from_json(json.dumps(doc, ensure_ascii=False))
    assert loaded.paragraphs[0] == Paragraph("正文一句。", "body", ("标题",), 0, 4, 9)
    assert loaded.paragraphs[0].page is None


# -- DOCX -------------------------------------------------------------------------------------
def test_docx_keeps_title_headings_tables_and_captions(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.core_properties.title = "开发区年度报告"
    d.add_paragraph("开发区成立于1992年,是国家级经济技术开发区。")
    d.add_heading("一、招商引资", 1)
    d.add_paragraph(PAGE_TWO)
    table = d.add_table(rows=2, cols=2)
    for (r, c), text in {(0, 0): "企业类型", (0, 1): "数量", (1, 0): "外资企业", (1, 1): "30家"}.items():
        table.cell(r, c).text = text
    d.add_paragraph("上图:开发区新建的产业园。")
    d.add_paragraph("联系人:张明")  # unfinished lines of a Word file are the author's paragraphs: not joined
    d.add_paragraph("联系电话:0316-1234567")
    path = tmp_path / "annual.docx"
    d.save(str(path))

    s = settings_for(tmp_path)
    ingest([path], s)
    doc = Store(s).get_document("annual")
    assert doc.source == str(path.resolve())
    assert [sec.path for sec in doc.sections] == [("开发区年度报告",), ("一、招商引资",)]
    texts = [p.text for p in doc.paragraphs]
    assert PAGE_TWO in texts and "企业类型 | 数量" in texts and "外资企业 | 30家" in texts
    assert "联系人:张明" in texts and "联系电话:0316-1234567" in texts
    caption = next(p for p in doc.paragraphs if p.text.startswith("上图"))
    assert caption.kind == "caption" and caption.page is None
    assert all("page" not in meta for _, _, meta in chunks_of(s, "annual"))


# -- HTML -------------------------------------------------------------------------------------
PAGE_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>开发区引进企业一百二十家 - 廊坊日报</title></head>
<body><nav><ul><li><a href="/">首页</a></li><li><a href="/news">新闻中心</a></li><li><a href="/map">网站地图</a></li></ul></nav>
<header><div class="menu"><a href="/login">登录注册</a> <a href="/rss">订阅频道</a></div></header>
<main><article><h1>开发区引进企业一百二十家</h1>
<p>今年以来,廊坊开发区新引进企业一百二十家,其中外资企业三十家,总投资达到四百亿元人民币。</p>
<h2>重点项目</h2>
<p>开发区负责人介绍,重点项目包括新能源汽车零部件</p>
<p>上图:开发区新建的产业园。</p>
<p>和生物医药两个产业园,预计明年底建成投产。</p>
<table><tr><td>企业类型</td><td>数量</td></tr><tr><td>外资企业</td><td>30家</td></tr></table>
</article></main>
<footer>版权所有 © 廊坊日报社 联系电话 0316-1234567</footer></body></html>"""


def test_html_keeps_the_main_text_not_the_menus(tmp_path):
    path = tmp_path / "news.html"
    path.write_text(PAGE_HTML, encoding="utf-8")
    s = settings_for(tmp_path)
    ingest([path], s)
    doc = Store(s).get_document("news")
    assert doc.source == str(path.resolve())
    assert [sec.path for sec in doc.sections] == [("开发区引进企业一百二十家",), ("开发区引进企业一百二十家", "重点项目")]
    texts = [p.text for p in doc.paragraphs]
    assert "开发区负责人介绍,重点项目包括新能源汽车零部件和生物医药两个产业园,预计明年底建成投产。" in texts  # layout repair
    assert "企业类型 | 数量" in texts and "外资企业 | 30家" in texts  # table rows are not joined
    assert "外资企业三十家" in doc.text
    for chrome in ("首页", "新闻中心", "网站地图", "登录注册", "订阅频道", "版权所有", "0316"):
        assert chrome not in doc.text
    assert next(p for p in doc.paragraphs if p.text.startswith("上图")).kind == "caption"


def test_html_title_comes_from_the_page_when_the_text_has_no_heading(tmp_path):
    path = tmp_path / "notice.htm"
    body = "".join(f"<p>{t}</p>" for t in PAGES[0].split("\n"))
    path.write_text(f"<html><head><title>园区概况</title></head><body><article>{body}</article></body></html>", encoding="utf-8")
    s = settings_for(tmp_path)
    ingest([path], s)
    assert Store(s).get_document("notice").sections[0].path == ("园区概况",)


# -- files that cannot be read ----------------------------------------------------------------
def _encrypted_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(str(path))
    return path


def _scanned_pdf(path: Path) -> Path:
    """A page with a drawing and no text layer, like a scan."""
    fpdf = pytest.importorskip("fpdf", reason="fpdf2 (the test extra) writes the test PDFs")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


BAD_FILES = {
    "corrupt.pdf": (lambda p: p.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage"), "cannot read this PDF"),
    "locked.pdf": (_encrypted_pdf, "password-protected"),
    "scan.pdf": (_scanned_pdf, "no text layer"),
    "notzip.docx": (lambda p: p.write_bytes(b"this is not a zip archive"), "not a readable Word"),
    "menus.html": (
        lambda p: p.write_text("<html><body><nav><a href='/'>首页</a> <a href='/n'>新闻中心</a></nav></body></html>",
                               encoding="utf-8"),
        "no main text",
    ),
    "empty.pdf": (lambda p: p.write_bytes(b""), "empty"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_unreadable_files_are_input_errors_naming_the_file(tmp_path, name):
    make, reason = BAD_FILES[name]
    path = tmp_path / name
    make(path)
    with pytest.raises(InputError) as info:
        ingest([path], settings_for(tmp_path))
    assert name in str(info.value) and reason in str(info.value) and info.value.hint
    if name == "scan.pdf":
        assert "OCR" in info.value.hint


# -- answers cite the page ----------------------------------------------------------------------
@needs_cjk_font
def test_an_answer_from_a_pdf_cites_its_page(tmp_path, capsys):
    from rag.cli import _print_answer
    from ui.render import cards_html

    s = settings_for(tmp_path)
    ingest([make_pdf(tmp_path / "report.pdf", PAGES, title="廊坊开发区年度报告")], s)

    def reply(messages):
        text = messages[-1].content
        n = next(int(n) for n, body in re.findall(r"^\[(\d+)\] (.*)$", text, flags=re.M) if "一百二十家" in body)
        return f"开发区今年新引进企业一百二十家[{n}]。"

    answer = AnswerChain(s, llm=FakeChatModel(reply)).invoke("开发区今年新引进了多少家企业?")
    assert not answer.refused
    [citation] = answer.citations
    assert citation.page == 2 and "一百二十家" in citation.quote
    data = answer.to_dict()
    assert data["citations"][0]["page"] == 2
    assert data["contexts"][citation.n - 1]["page"] == 2

    _print_answer(answer)
    assert "p. 2" in capsys.readouterr().out
    cards = cards_html(data["contexts"], data["citations"], "zh")
    assert '<span class="card-page"> · 第 2 页</span>' in cards
