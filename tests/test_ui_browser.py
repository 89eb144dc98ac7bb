"""Browser tests of the Gradio UI: Playwright drives Debian's Chromium against the app
served in-process on a free 127.0.0.1 port, on the bundled article with the fake model.

What is shown: a streamed answer whose [n] link scrolls to its card with the quote
highlighted, a follow-up with its rewritten question, a refusal, a section summary,
an upload that can then be asked about, a bad upload's error, documents and settings
views, the English interface, and (``slow``) the real local model answering a Chinese
question with a citation. Screenshots of each tab go to ``test-output/ui/``
(gitignored). Shortcut: one app per module, so the tests run in file order and the
upload test's document stays for the tests after it.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rag.models import registry
from rag.models.fake import FakeChatModel

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "test-output" / "ui"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's Chromium is missing at /usr/bin/chromium (scripts/setup.sh --test installs it)",
)

FACT = "化营、辛庄两个村的回迁安置小区"
UPLOAD_TEXT = "# 星河社区通知\n\n星河社区共有居民3200名,每天上午8点在社区广场开展核酸检测。\n\n社区还为独居老人提供送菜上门服务。\n"
# question keyword -> (text that identifies the passage, answer template)
ANSWERS = {
    "化辛小区": (FACT, "化辛小区是化营、辛庄两个村的回迁安置小区[{n}]。"),
    "退役军人": ("181名退役军人", "截至3月19日,全区已有181名退役军人加入志愿先锋队[{n}]。"),
    "星河社区": ("居民3200名", "星河社区共有居民3200名[{n}]。"),
    "Huaxin": (FACT, "化辛小区是化营、辛庄两个村的回迁安置小区[{n}]。"),  # the model is asked in English
}
REWRITES = {"那退役军人呢?": "截至3月19日,全区有多少名退役军人加入了志愿先锋队?"}
EN_QUESTION = "Which two villages is the Huaxin community a resettlement community for?"
TO_CHINESE = {EN_QUESTION: "化辛小区是哪两个村的回迁安置小区?"}
TO_ENGLISH = {  # the model translates the answer without its markers; code puts them back
    "化辛小区是化营、辛庄两个村的回迁安置小区。":
    "Huaxin is the resettlement community of the two villages Huaying and Xinzhuang.",
}


def passages(text: str) -> dict[int, str]:
    return {int(n): body for n, body in re.findall(r"^\[(\d+)\] (.*)$", text, flags=re.M)}


def scripted_reply(messages) -> str:
    """The fake model: rewrites follow-ups, answers known questions from the passage that
    holds the fact, refuses the rest; any other prompt (summaries) gets the first
    sentence of its first numbered passage, cited."""
    text = messages[-1].content
    english = re.search(r"^英文问题[:：](.*)$", text, flags=re.M)
    if english:  # translating an English question for retrieval; pinyin names come annotated
        asked = re.sub(r" \([\u4e00-\u9fff]+\)", "", english.group(1)).strip()
        return TO_CHINESE.get(asked, asked)
    if "Chinese answer:" in text:  # translating the checked answer back
        chinese = re.search(r"Chinese answer:\s*(.*)", text).group(1).strip()
        chinese = re.sub(r" \([A-Za-z][A-Za-z ,.\d]*\)", "", chinese)  # names' pinyin
        return TO_ENGLISH.get(chinese, "")
    if "后续问题" in text:
        follow = re.search(r"后续问题[:：](.*)", text).group(1).strip()
        return REWRITES.get(follow, follow)
    points = re.findall(r"^- (.+)$", text, flags=re.M)
    if points:  # a summary reduce: keep the points as they are
        return "".join(points)
    found = passages(text)
    question = re.search(r"^(?:问题|Question)[:：](.*)$", text, flags=re.M)
    if question:
        for key, (needle, template) in ANSWERS.items():
            n = next((n for n, body in found.items() if needle in body), None)
            if key in question.group(1) and n:
                return template.format(n=n)
        return "资料中没有相关信息。"
    if found:
        n, body = next(iter(found.items()))
        first = re.split(r"(?<=[。!?])", re.sub(r"^\([^)]*\)\s*", "", body))[0]
        return f"{first}[{n}]"
    return "资料中没有相关信息。"


class SlowFake(FakeChatModel):
    """The scripted fake, streaming slowly enough for the browser to show tokens arrive."""

    delay: float = 0.03

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            time.sleep(self.delay)
            yield chunk


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(settings):
    from ui import create_app

    demo = create_app(settings)
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def app_url(article_data_dir, tmp_path_factory):
    import shutil

    from rag.settings import Settings

    data = tmp_path_factory.mktemp("ui-store") / "data"
    shutil.copytree(article_data_dir, data)
    with registry.override(SlowFake(scripted_reply)):
        demo, url = serve(Settings(data_dir=data))
        try:
            yield url
        finally:
            demo.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def open_page(browser, url: str, locale: str = "zh-CN", wait_examples: bool = True):
    context = browser.new_context(locale=locale, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.add_init_script(
        "new MutationObserver(() => { if (document.querySelector('#chatbot .pending')) window.__streamed = true; })"
        ".observe(document, {childList: true, subtree: true, characterData: true});"
    )
    page.goto(url, wait_until="load")
    page.locator("#question textarea").wait_for()
    if wait_examples:  # the page's load event has filled in the corpus' examples
        page.locator("#examples").get_by_text("化辛小区", exact=False).first.wait_for()
    return page


@pytest.fixture
def page(browser, app_url, request):
    page = open_page(browser, app_url)
    yield page
    shot(page, f"last/{request.node.name}")  # the page as the test left it (kept when it fails)
    page.context.close()


def shot(page, name: str) -> None:
    path = OUT / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)


def choose(page, elem_id: str, option: str) -> None:
    """Pick ``option`` in the Gradio dropdown ``#elem_id``."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()


def fill(page, elem_id: str, text: str) -> None:
    page.locator(f"#{elem_id} textarea, #{elem_id} input").first.fill(text)


def upload(page, path: Path) -> None:
    """Put ``path`` into the upload box and wait until the server has received it."""
    page.locator("#upload input[type=file]").set_input_files(str(path))
    page.locator(f"#upload td.filename[aria-label='{path.name}']").wait_for()
    page.locator("#upload a.download-link").first.wait_for()


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def last_bot(page):
    return page.locator("#chatbot .message.bot, #chatbot [data-testid='bot']").last


def wait_answer(page, count: int, timeout: float = 180_000):
    """Wait until ``count`` checked answers/refusals/errors are in the chat. The real local model
    answers: a follow-up (rewrite + answer) took over 30 s on a slow 2-core machine, so the wait is
    generous -- these tests check what is shown, not how fast (``bench/answer.py`` measures that)."""
    page.wait_for_function(
        "n => document.querySelectorAll('#chatbot .answer, #chatbot .refusal, #chatbot .error-box').length >= n"
        " && !document.querySelector('#chatbot .streaming')",
        arg=count,
        timeout=timeout,
    )


def test_streamed_answer_with_a_working_citation_link(page):
    ask(page, "化辛小区是哪两个村的回迁安置小区?")
    wait_answer(page, 1)
    assert page.evaluate("window.__streamed === true"), "no live answer bubble was ever shown"
    answer = page.locator("#chatbot .answer").last
    assert "化营、辛庄" in answer.inner_text()
    link = answer.locator("a.cite").first
    href = link.get_attribute("href")
    assert re.fullmatch(r"#src-\d+", href)
    card = page.locator(href)
    mark = card.locator("mark")
    assert FACT in mark.inner_text()
    assert card.locator(".card-path").inner_text().endswith("织密疫情防控“红色网格”")
    page.locator("#sources").evaluate("el => el.scrollTop = el.scrollHeight")  # move the card away first
    link.click()
    page.wait_for_function("id => document.getElementById(id).classList.contains('flash')", arg=href[1:])
    page.wait_for_timeout(600)  # smooth scrolling
    box = card.bounding_box()
    sources_box = page.locator("#sources").bounding_box()
    assert box and sources_box["y"] - 5 <= box["y"] <= sources_box["y"] + sources_box["height"]
    assert len(page.context.pages) == 1  # the link did not open a new tab
    shot(page, "chat-answer")


def test_follow_up_shows_the_rewritten_question(page):
    ask(page, "化辛小区是哪两个村的回迁安置小区?")
    wait_answer(page, 1)
    ask(page, "那退役军人呢?")
    wait_answer(page, 2)
    bot = last_bot(page)
    assert "截至3月19日,全区有多少名退役军人加入了志愿先锋队?" in bot.locator(".rewrite").inner_text()
    assert "181" in bot.locator(".answer").inner_text()
    # the first answer's links now point at its own (folded) cards
    first_link = page.locator("#chatbot .answer").first.locator("a.cite").first
    assert re.fullmatch(r"#src-1-\d+", first_link.get_attribute("href"))
    first_link.click()
    assert page.locator("#sources details.earlier").evaluate("d => d.open")
    assert FACT in page.locator(first_link.get_attribute("href")).locator("mark").inner_text()
    shot(page, "chat-follow-up")


def test_refusal_looks_different_and_copy_and_new_chat(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    ask(page, "廊坊开发区有多少家银行?")
    wait_answer(page, 1)
    refusal = last_bot(page).locator(".refusal")
    assert "资料中没有相关信息" in refusal.inner_text()
    assert last_bot(page).locator("a.cite").count() == 0
    color = refusal.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert color != page.locator("#chatbot").evaluate("el => getComputedStyle(el).borderLeftColor")
    shot(page, "chat-refusal")
    page.locator("#copy-answer").click()
    page.wait_for_timeout(300)
    assert "资料中没有相关信息" in page.evaluate("navigator.clipboard.readText()")
    page.locator("#new-chat").click()
    page.wait_for_function("!document.querySelector('#chatbot .refusal')")


def test_summarise_a_section(page):
    page.get_by_role("tab", name="摘要").click()
    section = page.locator("#sum-section")
    section.get_by_text("织密疫情防控“红色网格”").click()
    page.locator("#sum-one").click()
    out = page.locator("#sum-out .summary")
    out.wait_for(timeout=60_000)
    assert "织密疫情防控“红色网格”" in out.locator(".summary-head").inner_text()
    link = out.locator("a.cite").first
    card = page.locator(link.get_attribute("href"))
    assert not card.is_visible()  # folded until a marker is clicked
    link.click()
    expect(card).to_be_visible()
    assert card.locator("mark").count() == 1
    assert page.locator("#sum-download").is_visible()
    shot(page, "summaries")
    with page.expect_download() as download:
        page.locator("#sum-download").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "织密疫情防控“红色网格”" in markdown and "[^1]:" in markdown
    # asked again, it comes from the cache
    page.locator("#sum-one").click()
    page.locator("#sum-out .badge.cached").wait_for()
    # all sections: one summary per section, then the whole document
    page.locator("#sum-all").click()
    expect(page.locator("#sum-out .summary")).to_have_count(len(section.locator("label").all()), timeout=120_000)
    assert page.locator("#sum-out .summary").last.get_attribute("data-section") == ""
    shot(page, "summaries-all")


def test_upload_a_document_and_ask_about_it(page, tmp_path):
    page.get_by_role("tab", name="文档").click()
    doc = tmp_path / "xinghe.md"
    doc.write_text(UPLOAD_TEXT, encoding="utf-8")
    upload(page, doc)
    page.locator("#ingest").click()
    page.locator("#doc-status .ok-box").wait_for(timeout=60_000)
    assert "xinghe" in page.locator("#doc-table").inner_text()
    page.locator("#doc-view .doc-view[data-doc='xinghe']").wait_for()
    assert page.locator("#doc-view .chunk-start").count() >= 1
    shot(page, "documents-upload")
    page.get_by_role("tab", name="问答").click()
    ask(page, "星河社区有多少居民?")
    wait_answer(page, 1)
    answer = page.locator("#chatbot .answer").last
    assert "3200" in answer.inner_text()
    href = answer.locator("a.cite").first.get_attribute("href")
    assert "xinghe" in page.locator(href).locator(".card-path").inner_text()


def test_reingest_and_delete_a_document(page):
    page.get_by_role("tab", name="文档").click()
    choose(page, "doc-pick", "xinghe")
    page.locator("#doc-view .doc-view[data-doc='xinghe']").wait_for()
    page.locator("#reingest").click()
    expect(page.locator("#doc-status .ok-box")).to_contain_text("已重新入库 xinghe")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator("#delete").click()
    page.wait_for_timeout(500)
    expect(page.locator("#doc-table")).to_contain_text("xinghe")  # said no: still there
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#delete").click()
    expect(page.locator("#doc-status .ok-box")).to_contain_text("已删除 xinghe")
    expect(page.locator("#doc-table")).not_to_contain_text("xinghe")
    assert page.locator("#doc-view .doc-view").count() == 0


def test_bad_upload_shows_an_error(page, tmp_path):
    page.get_by_role("tab", name="文档").click()
    bad = tmp_path / "garbage.txt"
    bad.write_bytes(b"\x00\x01\x02binary\x00" * 50)
    upload(page, bad)
    page.locator("#ingest").click()
    error = page.locator("#doc-status .error-box")
    error.wait_for()
    text = error.inner_text()
    assert "garbage.txt" in text and "binary" in text and "Traceback" not in text
    assert "/tmp" not in text
    shot(page, "documents-bad-upload")
    # the server keeps serving
    page.get_by_role("tab", name="问答").click()
    ask(page, "化辛小区是哪两个村的回迁安置小区?")
    wait_answer(page, 1)


def test_document_view_marks_chunks_and_captions(page):
    page.get_by_role("tab", name="文档").click()
    choose(page, "doc-pick", "000_d11b5f0043a94887")
    view = page.locator("#doc-view .doc-view[data-doc='000_d11b5f0043a94887']")
    view.wait_for()
    assert view.locator(".chunk-start").count() >= 20
    assert view.locator(".caption").count() >= 1
    assert "上图" in view.locator(".caption").first.inner_text()
    page.keyboard.press("Escape")
    view.locator(".caption").first.scroll_into_view_if_needed()
    shot(page, "documents-view")


def test_settings_validation_connection_and_retrieval_debug(page):
    page.get_by_role("tab", name="设置").click()
    status = page.locator("#settings-status")
    fill(page, "endpoint", "not a url")
    page.locator("#apply").click()
    expect(status.locator(".error-box")).to_contain_text("not a url")
    # a dead endpoint is a readable error, not a traceback
    choose(page, "provider", "openai")
    fill(page, "model-name", "some-model")
    fill(page, "endpoint", f"http://127.0.0.1:{free_port()}/v1")
    page.locator("#test-connection").click()
    expect(status.locator(".error-box")).to_contain_text("cannot reach")
    assert "Traceback" not in status.inner_text()
    # the fake model answers the connection test
    choose(page, "provider", "fake")
    fill(page, "model-name", "")
    fill(page, "endpoint", "")
    page.locator("#test-connection").click()
    expect(status.locator(".ok-box")).to_contain_text("fake")
    # retrieval debug: both ranks and the fused score per chunk
    fill(page, "debug-query", "退役军人志愿先锋队")
    page.locator("#debug-search").click()
    table = page.locator("#debug-table")
    expect(table).to_contain_text("退役军人志愿先锋队坚守疫情防控第一线")
    expect(table).to_contain_text("BM25")
    shot(page, "settings")


def test_dead_endpoint_in_chat_is_a_readable_error(page):
    page.get_by_role("tab", name="设置").click()
    choose(page, "provider", "openai")
    fill(page, "model-name", "some-model")
    fill(page, "endpoint", f"http://127.0.0.1:{free_port()}/v1")
    page.locator("#apply").click()
    expect(page.locator("#settings-status .ok-box")).to_contain_text("openai:some-model")
    page.get_by_role("tab", name="问答").click()
    ask(page, "化辛小区是哪两个村的回迁安置小区?")
    wait_answer(page, 1)
    error = last_bot(page).locator(".error-box")
    expect(error).to_contain_text("cannot reach")
    expect(error).to_contain_text("RAG_OPENAI_BASE_URL")
    shot(page, "chat-error")


def test_english_interface(browser, app_url):
    page = open_page(browser, app_url, locale="en-US")
    try:
        assert page.get_by_role("tab", name="Summaries").is_visible()
        assert page.locator("#ask").inner_text().strip() == "Ask"
        ask(page, EN_QUESTION)
        wait_answer(page, 1)
        bot = last_bot(page)
        expect(bot.locator(".translated")).to_contain_text("Searched in Chinese as: 化辛小区是哪两个村的回迁安置小区?")
        expect(bot.locator(".answer")).to_contain_text("Huaying and Xinzhuang")
        href = bot.locator("a.cite").first.get_attribute("href")
        expect(page.locator(href).locator("mark")).to_contain_text(FACT)
        ask(page, "How many banks are there in the development zone?")
        wait_answer(page, 2)
        expect(last_bot(page)).to_contain_text("No answer in the documents")
        shot(page, "chat-english")
    finally:
        page.context.close()


def test_empty_store_is_explained_on_every_tab(browser, settings):
    demo, url = serve(settings)  # a fresh data dir: nothing ingested
    page = open_page(browser, url, wait_examples=False)
    try:
        expect(page.locator("#sources .error-box")).to_contain_text("还没有文档")
        ask(page, "化辛小区是哪两个村的回迁安置小区?")
        wait_answer(page, 1)
        error = last_bot(page).locator(".error-box")
        expect(error).to_contain_text("empty")
        expect(error).to_contain_text("“文档”页上传")
        shot(page, "chat-empty-store")
        page.get_by_role("tab", name="文档").click()
        expect(page.locator("#doc-status .error-box")).to_contain_text("还没有文档")
        page.get_by_role("tab", name="摘要").click()
        expect(page.locator("#sum-out")).to_contain_text("还没有文档")
    finally:
        page.context.close()
        demo.close()


@pytest.mark.slow
def test_real_local_model_answers_in_chinese_with_a_citation(browser, article_settings, real_models):
    from rag.models import files as model_files
    from rag.settings import Settings

    # The bundled model as prepared in the real data dir (joined once, 1.1 GB), used by path.
    model = model_files.ensure_local_model(Settings(data_dir=Settings.model_fields["data_dir"].default_factory()))
    demo, url = serve(article_settings.model_copy(update={"chat_model": f"local:{model}"}))
    page = open_page(browser, url)
    try:
        ask(page, "化辛小区是哪两个村的回迁安置小区?")
        wait_answer(page, 1, timeout=600_000)
        shot(page, "chat-local-model")
        answer = page.locator("#chatbot .answer").last
        expect(answer).to_contain_text("化营")
        expect(answer).to_contain_text("辛庄")
        href = answer.locator("a.cite").first.get_attribute("href")
        assert FACT in page.locator(href).locator("mark").inner_text()
    finally:
        page.context.close()
        demo.close()
