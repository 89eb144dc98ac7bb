"""Fast tests of the UI without a browser: the HTML helpers, the handlers behind each
tab (streaming chat, errors, uploads, settings validation), ``create_app`` and the
``rag ui`` command."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from rag.models import registry
from rag.models.fake import FakeChatModel
from ui import chat, render
from ui.i18n import TEXT, lang_of, msg

# gr.Warning outside a running event is a Python warning: expected here.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers")

FACT = "化营、辛庄两个村的回迁安置小区"
ZH = SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})


class TagBalance(HTMLParser):
    """Fails on a closing tag that does not match the open one."""

    VOID = {"br", "img", "hr", "input", "meta", "link"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def balanced(html: str) -> bool:
    p = TagBalance()
    p.feed(html)
    p.close()
    return not p.stack


def number_of(messages, needle: str) -> int:
    text = messages[-1].content
    return next(int(n) for n, body in re.findall(r"^\[(\d+)\] (.*)$", text, flags=re.M) if needle in body)


# -- rendering -------------------------------------------------------------------------------
def test_markers_become_links_to_cards_and_unknown_numbers_stay_text():
    out = render.link_markers("甲[1]。乙[2,3]。丙[9]。", "src-", known={1, 2, 3})
    assert '<a class="cite" href="#src-1" data-n="1">[1]</a>' in out
    assert 'href="#src-2"' in out and 'href="#src-3"' in out
    assert "[9]" in out and 'href="#src-9"' not in out


def test_answer_html_escapes_model_text_and_marks_refusals():
    answer = {"answer": "<script>x</script>化辛小区[1]。", "refused": False,
              "citations": [{"n": 1}], "rewritten_question": "完整的<问题>?"}
    out = render.answer_html(answer, "zh")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'class="rewrite rewritten"' in out and "完整的&lt;问题&gt;" in out and "理解为" in out
    translated = render.answer_html({**answer, "rewritten_question": None, "translated_question": "化辛小区?"}, "en")
    assert 'class="rewrite translated"' in translated and "Searched in Chinese as" in translated
    refusal = render.answer_html({"answer": "资料中没有相关信息。", "refused": True, "citations": []}, "zh")
    assert 'class="refusal"' in refusal and "cite" not in refusal
    assert balanced(out) and balanced(refusal)
    why = render.answer_html(
        {"answer": "资料中没有相关信息。", "refused": True, "citations": [], "refusal_reason": "asks for <vehicles>"}, "zh"
    )
    assert 'class="refusal-why">asks for &lt;vehicles&gt;</div>' in why and balanced(why)


def test_quote_is_marked_inside_its_chunk_by_offsets_or_by_search():
    ctx = {"text": "第一句。化辛小区是回迁安置小区。第三句。", "start": 100}
    by_offset = {"quote": "化辛小区是回迁安置小区。", "start": 104, "end": 116}
    assert render.quote_span(ctx, by_offset) == (4, 16)
    shifted = {**by_offset, "start": 0, "end": 12}  # offsets that do not fit: found by text
    assert render.quote_span(ctx, shifted) == (4, 16)
    html = render.highlight(ctx["text"], [(4, 16), (10, 18)])
    assert html.count("<mark>") == 2 and "第一句。<mark>化辛小区" in html and balanced(html)


def test_cards_put_cited_sources_first_and_fold_the_rest():
    contexts = [
        {"text": "无关段落。", "section": "甲 / 乙", "doc_id": "d", "start": 0},
        {"text": f"化辛小区是{FACT}。", "section": "甲 / 丙", "doc_id": "d", "start": 10},
    ]
    citations = [{"n": 2, "quote": f"化辛小区是{FACT}。", "start": 10, "end": 10 + len(f"化辛小区是{FACT}。")}]
    out = render.cards_html(contexts, citations, "en", "src-")
    assert out.index('id="src-2"') < out.index("<details") < out.index('id="src-1"')
    assert f"<mark>化辛小区是{FACT}。</mark>" in out and "甲 › 丙" in out
    assert balanced(out)


def test_debug_rows_show_both_ranks_and_the_fused_score():
    contexts = [{"text": "x", "section": "A / B", "doc_id": "d", "score": 0.0325, "bm25_rank": 1, "dense_rank": None}]
    [row] = render.debug_rows(contexts, [{"n": 1}])
    assert row[:5] == [1, 1, "–", 0.0325, "✓"] and row[5] == "d · B"
    table = render.debug_table(contexts, [], "zh")
    assert table["headers"][1] == "BM25 排名" and len(table["headers"]) == len(render.DEBUG_WIDTHS)


def test_document_view_marks_every_chunk_and_caption(article_settings):
    from rag.index.store import Store

    store = Store(article_settings)
    [doc_id] = [d["doc_id"] for d in store.list_documents()]
    doc, chunks = store.get_document(doc_id), store.all_chunks(doc_id)
    out = render.document_html(doc, chunks, "zh")
    assert out.count('class="chunk-start"') == len(chunks) == out.count('class="chunk-end"')
    captions = [p for p in doc.paragraphs if p.kind == "caption"]
    assert out.count('<span class="caption"') == len(captions) > 0
    assert 'class="doc-heading"' in out and balanced(out)
    text = re.sub(r"<[^>]+>|\[\d+|\d+\]", "", out.split('class="doc-view"', 1)[1])
    assert "化辛小区是化营、辛庄两个村的回迁安置小区" in text


def test_languages_follow_the_browser_and_both_tables_are_complete():
    assert lang_of(ZH) == "zh" and lang_of(None) == "en"
    assert lang_of(SimpleNamespace(headers={"accept-language": "en-US,zh;q=0.5"})) == "en"
    assert set(TEXT["zh"]) == set(TEXT["en"])
    assert msg("deleted", "zh", doc="a", n=3) == "已删除 a(3 个分块)。"


# -- chat handler -----------------------------------------------------------------------------
def run_chat(ctx, question, turns=(), overrides=None, request=None):

    return list(chat.respond(ctx, question, list(turns), overrides, request))


def test_chat_streams_then_shows_the_checked_answer_with_linked_cards(article_settings):
    from ui.context import AppContext

    ctx = AppContext(article_settings)
    second = "小区共有7777户居民"  # no source has it: dropped
    with registry.override(FakeChatModel(lambda m: f"化辛小区是{FACT}[{number_of(m, FACT)}]。{second}[9]。")):
        frames = run_chat(ctx, "化辛小区是哪两个村的回迁安置小区?", request=ZH)
    live = [f for f in frames[:-1] if 'class="pending"' in f[0][-1]["content"]]
    assert len(live) > 5  # the bubble is updated while the model writes
    checked = [f for f in live if f'<div class="answer">化辛小区是{FACT}' in f[0][-1]["content"]]
    assert checked, "the first sentence was not shown once it passed the check"
    assert all(second not in f[0][-1]["content"] for f in live[: live.index(checked[0]) + 1])  # no unchecked text
    assert not any("[9]" in f[0][-1]["content"] for f in frames)  # an invalid marker is never shown
    messages, sources, turns, copy, debug, box = frames[-1]
    [link] = re.findall(r'href="#(src-\d+)"', messages[-1]["content"])
    assert f'id="{link}"' in sources and f"{FACT}。</mark>" in sources
    assert turns[-1]["answer"]["citations"] and FACT in copy and box == ""
    assert any(row[4] == "✓" for row in debug["data"])


def test_in_claims_mode_checked_sentences_show_before_the_answer_is_done(article_settings):
    import json

    from ui.context import AppContext

    ctx = AppContext(article_settings.model_copy(update={"answer_mode": "claims"}))

    def reply(m):
        claim = {"text": f"化辛小区是{FACT}。", "source": number_of(m, FACT), "quote": FACT}
        return json.dumps({"answerable": True, "claims": [claim]}, ensure_ascii=False)

    with registry.override(FakeChatModel(reply)):
        frames = run_chat(ctx, "化辛小区是哪两个村的回迁安置小区?", request=ZH)
    live = [f for f in frames[:-1] if f'<div class="answer">化辛小区是{FACT}' in f[0][-1]["content"]]
    assert live and 'class="pending"' in live[0][0][-1]["content"]  # checked text while still working
    assert "{" not in "".join(f[0][-1]["content"] for f in frames)  # no raw JSON is ever shown
    assert FACT in frames[-1][0][-1]["content"]


def test_follow_up_keeps_each_answers_links_on_its_own_cards(article_settings):
    from ui.context import AppContext

    def reply(m):
        if "后续问题" in m[-1].content:
            return "截至3月19日,全区有多少名退役军人加入了志愿先锋队?"
        if "退役军人" in m[-1].content.split("问题")[-1]:
            return f"截至3月19日,全区已有181名退役军人加入志愿先锋队[{number_of(m, '181名退役军人')}]。"
        return f"化辛小区是{FACT}[{number_of(m, FACT)}]。"

    ctx = AppContext(article_settings)
    with registry.override(FakeChatModel(reply)):
        turns = run_chat(ctx, "化辛小区是哪两个村的回迁安置小区?")[-1][2]
        messages, sources, turns, *_ = run_chat(ctx, "那退役军人呢?", turns)[-1]
    assert "截至3月19日,全区有多少名退役军人加入了志愿先锋队?" in messages[-1]["content"]
    assert re.search(r'href="#src-1-\d+"', messages[1]["content"])
    assert re.search(r'href="#src-\d+"', messages[3]["content"])
    assert '<details class="earlier">' in sources and re.search(r'id="src-1-\d+"', sources)


def test_empty_store_and_missing_model_are_messages_not_crashes(settings, article_settings):
    from ui.context import AppContext

    messages, sources, turns, *_ = run_chat(AppContext(settings), "有多少人?")[-1]
    assert "error-box" in messages[-1]["content"] and "empty" in messages[-1]["content"]
    assert "No documents yet: upload text, Markdown, PDF, Word (.docx) or HTML files in the Documents tab" in messages[-1]["content"]  # the hint
    # no fake model: the local model is refused in tests (the same path as a missing model)
    messages, *_ = run_chat(AppContext(article_settings), "化辛小区是哪两个村的回迁安置小区?")[-1]
    assert "error-box" in messages[-1]["content"] and "local" in messages[-1]["content"]
    bad = run_chat(AppContext(article_settings), "化辛小区?", overrides={"chat_model": "local:no-such-model"})[-1][0]
    assert "error-box" in bad[-1]["content"]


def test_an_unexpected_bug_is_logged_and_shown_briefly(article_settings, caplog):
    from ui.context import AppContext

    with registry.override(FakeChatModel([KeyError("boom")])):
        messages, *_ = run_chat(AppContext(article_settings), "化辛小区是哪两个村的回迁安置小区?", request=ZH)[-1]
    assert "服务内部出错(KeyError)" in messages[-1]["content"] and "Traceback" not in messages[-1]["content"]
    assert "Traceback" in caplog.text or any(r.exc_info for r in caplog.records)


# -- documents, summaries, settings --------------------------------------------------------------
def test_upload_checks_files_before_storing_and_names_them_in_errors(article_settings, tmp_path):
    from ui import documents
    from ui.context import AppContext

    ctx = AppContext(article_settings)
    bad = tmp_path / "empty.md"
    bad.write_text("   \n", encoding="utf-8")
    status, *_ = documents.upload(ctx, [str(bad)], None)
    assert "error-box" in status and "empty.md" in status and str(tmp_path) not in status
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4")  # a PDF is accepted, but this one is broken: checked before anything is stored
    status = documents.upload(ctx, [str(pdf)], None)[0]
    assert "error-box" in status and "scan.pdf: cannot read this PDF" in status and str(tmp_path) not in status
    slides = tmp_path / "slides.pptx"
    slides.write_bytes(b"PK\x03\x04")
    assert "unsupported file type" in documents.upload(ctx, [str(slides)], None)[0]
    assert not (article_settings.data_dir / "uploads" / "scan.pdf").exists()
    assert not (article_settings.data_dir / "uploads" / "empty.md").exists()

    good = tmp_path / "notice.md"
    good.write_text("# 社区通知\n\n星河社区共有居民3200名。\n", encoding="utf-8")
    generation = ctx.generation
    status, table, _ = documents.upload(ctx, [str(good)], ZH)
    assert "ok-box" in status and "已入库 notice" in status and ctx.generation > generation
    assert ["notice", 1] == table["data"][-1][:2] and table["headers"][0] == "文档"
    assert (article_settings.data_dir / "uploads" / "notice.md").is_file()
    assert "星河社区" in documents.view(ctx, "notice", None)
    status, table, _ = documents.reingest(ctx, "notice", None)
    assert "ok-box" in status and "1 chunks" in status
    status, table, _, viewer = documents.delete(ctx, "notice", None)
    assert "Deleted notice (1 chunks)" in status and all(r[0] != "notice" for r in table["data"])


def test_settings_are_validated_before_they_apply(article_settings):
    from ui import settings_tab as st
    from ui.context import AppContext

    ctx = AppContext(article_settings)
    current = {"top_k": 6}
    kept, status = st.apply(ctx, "openai", "m", "ftp://x", "", 6, 1500, current, None)
    assert kept is current and "not an http(s) URL" in status
    kept, status = st.apply(ctx, "nope", "m", "", "", 6, 1500, current, None)
    assert kept is current and "unknown chat model" in status
    new, status = st.apply(ctx, "openai", "qwen", "http://127.0.0.1:8000/v1", "key", 3, 900, current, ZH)
    assert new == {"chat_model": "openai:qwen", "top_k": 3, "context_chars": 900,
                   "openai_base_url": "http://127.0.0.1:8000/v1", "openai_api_key": "key"}
    assert "已应用" in status
    assert ctx.settings_for(new).top_k == 3 and ctx.base.top_k == article_settings.top_k


def test_the_servers_key_never_goes_to_an_endpoint_typed_in_the_ui(article_settings):
    from tests.fake_openai import fake_openai_server
    from ui import settings_tab as st
    from ui.context import AppContext

    secret = "sk-server-secret"
    with fake_openai_server() as operators, fake_openai_server() as visitors:
        base = article_settings.model_copy(update={"openai_base_url": operators.base_url, "openai_api_key": secret})
        ctx = AppContext(base)
        # a visitor's endpoint with the key field left empty: no key at all goes there
        html = st.test_connection(ctx, "openai", "m", visitors.base_url, "", 6, 1500, None)
        assert "ok-box" in html and visitors.authorizations and secret not in str(visitors.authorizations)
        # the same through "Apply": the session's settings carry no server key for that endpoint
        new, _ = st.apply(ctx, "openai", "m", visitors.base_url, "", 6, 1500, {}, None)
        assert ctx.settings_for(new).openai_api_key is None
        # a key typed for it is used; the operator's own endpoint still gets the operator's key
        st.test_connection(ctx, "openai", "m", visitors.base_url, "sk-visitor", 6, 1500, None)
        assert visitors.authorizations[-1] == "Bearer sk-visitor"
        st.test_connection(ctx, "openai", "m", operators.base_url, "", 6, 1500, None)
        assert operators.authorizations[-1] == f"Bearer {secret}"


def test_test_connection_reports_a_dead_endpoint_readably(article_settings):
    from tests.test_ui_browser import free_port
    from ui import settings_tab as st
    from ui.context import AppContext

    out = st.test_connection(AppContext(article_settings), "openai", "m", f"http://127.0.0.1:{free_port()}/v1", "", 6, 1500, None)
    assert "error-box" in out and "cannot reach" in out


def test_retrieval_debug_search(article_settings):
    from ui import settings_tab as st
    from ui.context import AppContext

    table, status = st.debug_search(AppContext(article_settings), "退役军人志愿先锋队", "bm25", None, None)
    assert status == "" and table["data"][0][1] == 1 and table["data"][0][2] == "–"


def test_summaries_tab_says_so_while_summaries_are_missing(article_settings, monkeypatch):
    from ui import summaries
    from ui.context import AppContext

    monkeypatch.setattr(summaries, "api", lambda: None)
    html, download = summaries.run(AppContext(article_settings), "d", None, False, "standard", "zh", False, None, ZH)
    assert "暂不提供摘要" in html and download["visible"] is False
    assert summaries.section_choices(AppContext(article_settings), "d", "en") == []


def test_summaries_of_a_section_link_to_their_quotes(article_settings):
    from ui import summaries
    from ui.context import AppContext

    ctx = AppContext(article_settings)
    [doc_id] = [d["doc_id"] for d in ctx.store.list_documents()]
    choices = summaries.section_choices(ctx, doc_id, "en")
    assert choices[0] == ("Whole document", summaries.WHOLE)
    section = next(v for label, v in choices if v.endswith("织密疫情防控“红色网格”"))
    def fake(m):  # one map call per chunk: only the chunk holding FACT yields a sentence
        return f"化辛小区是{FACT}[1]。" if FACT in m[-1].content else "资料中没有相关信息。"

    with registry.override(FakeChatModel(fake)):
        html, download = summaries.run(ctx, doc_id, section, False, "short", "zh", False, None, None)
    assert 'class="summary"' in html and "new" in html
    links = re.findall(r'href="#(sum1-\d+)"', html)
    assert links and all(f'id="{link}"' in html for link in links)
    assert f"{FACT}。</mark>" in html
    assert download["visible"] and open(download["value"], encoding="utf-8").read().startswith("# Summaries")


# -- the app and the command ---------------------------------------------------------------------
def test_create_app_builds_without_touching_the_store(tmp_path):
    import gradio as gr

    from rag.settings import Settings
    from ui import create_app

    data = tmp_path / "never-created"
    demo = create_app(Settings(data_dir=data))
    assert isinstance(demo, gr.Blocks) and not data.exists()
    tabs = [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert [t.key for t in tabs] == ["tab_chat", "tab_summaries", "tab_documents", "tab_settings"]


def test_rag_ui_command_parses_auth_and_serves_on_localhost(monkeypatch):
    from typer.testing import CliRunner

    import ui
    from rag.cli import app

    calls = []
    monkeypatch.setattr(ui, "launch", lambda demo, **kw: calls.append(kw))
    res = CliRunner().invoke(app, ["ui", "--port", "7999", "--auth", "alice:s3cret"])
    assert res.exit_code == 0, res.output
    assert calls == [{"host": "127.0.0.1", "port": 7999, "auth": ("alice", "s3cret"), "quiet": True}]
    res = CliRunner().invoke(app, ["ui", "--auth", "nopassword"])
    assert res.exit_code == 2 and "USER:PASS" in res.output


def test_rag_ui_takes_the_login_from_the_environment_or_a_file_and_refuses_an_open_network_port(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import ui
    from rag.cli import app

    calls = []
    monkeypatch.setattr(ui, "launch", lambda demo, **kw: calls.append(kw))
    res = CliRunner().invoke(app, ["ui"], env={"RAG_UI_AUTH": "bob:pw"})
    assert res.exit_code == 0 and calls[-1]["auth"] == ("bob", "pw")
    secret = tmp_path / "auth"
    secret.write_text("carol:pw2\n")
    res = CliRunner().invoke(app, ["ui", "--auth-file", str(secret)])
    assert res.exit_code == 0 and calls[-1]["auth"] == ("carol", "pw2")
    n = len(calls)
    res = CliRunner().invoke(app, ["ui", "--host", "0.0.0.0"])
    assert res.exit_code == 2 and "RAG_UI_AUTH" in res.output and len(calls) == n  # not served
    res = CliRunner().invoke(app, ["ui", "--host", "0.0.0.0", "--insecure"])
    assert res.exit_code == 0 and calls[-1]["host"] == "0.0.0.0"


def test_logins_are_rate_limited():
    import time

    from ui.app import LoginGuard

    guard = LoginGuard("alice", "s3cret", max_failures=3, window=60, lockout=0.3)
    assert guard("alice", "s3cret")
    assert not any(guard("alice", f"guess{i}") for i in range(3))
    assert not guard("alice", "s3cret")  # locked: even the right password waits
    time.sleep(0.35)
    assert guard("alice", "s3cret")


def test_launch_caps_uploads_and_guards_the_login(monkeypatch, tmp_path):
    import gradio as gr

    from rag.settings import Settings
    from ui import create_app
    from ui.app import LoginGuard

    seen = {}
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, *a, **kw: seen.update(kw))
    demo = create_app(Settings(data_dir=tmp_path, max_file_mb=3))
    demo.launch(auth=("u", "p"))
    assert seen["max_file_size"] == "3mb" and isinstance(seen["auth"], LoginGuard)
    assert demo.delete_cache == (600, 600)  # uploaded files do not outlive the server


def test_answers_share_one_model_queue_and_nothing_else_waits_in_it(tmp_path):
    from rag.settings import Settings
    from ui import create_app

    demo = create_app(Settings(data_dir=tmp_path, model_concurrency=3))
    by_name = {}
    for fn in demo.fns.values():
        by_name.setdefault(getattr(fn.fn, "__name__", ""), []).append(fn)
    summaries_ = [fn for name in ("summarize_one", "summarize_all") for fn in by_name[name]]
    assert summaries_ and all(fn.concurrency_id == "model" and fn.concurrency_limit == 3 for fn in summaries_)
    chats = by_name["respond"]  # answers wait in the process's model queue (rag.models.queue), with their position
    assert chats and all(fn.concurrency_id == "chat" and fn.concurrency_limit >= 16 for fn in chats)
    others = [fn for name in ("debug", "upload", "view") for fn in by_name.get(name, [])]
    assert others and all(fn.concurrency_id != "model" for fn in others)


def test_a_long_session_keeps_only_its_newest_turns(article_settings):
    from ui.context import AppContext

    ctx = AppContext(article_settings.model_copy(update={"max_history_turns": 3}))
    turns = []
    with registry.override(FakeChatModel(lambda m: f"化辛小区是{FACT}[{number_of(m, FACT)}]。")):
        for i in range(6):
            frames = run_chat(ctx, f"化辛小区是哪两个村的回迁安置小区?{i}", turns=turns)
            turns = frames[-1][2]
    assert [t["question"][-1] for t in turns] == ["3", "4", "5"]
    assert frames[-1][1].count("turn-label") <= 2  # earlier answers' cards: only the kept turns'


def test_a_waiting_question_shows_its_place_in_the_model_queue_and_keeps_to_its_scope(article_settings, tmp_path):
    import threading

    from rag.ingest import ingest
    from rag.models.queue import shared_queue
    from ui.context import AppContext

    other = tmp_path / "lotus.md"
    other.write_text("# 荷花节\n\n南湖公园的荷花节共有三千名游客到场。\n", encoding="utf-8")
    ingest([other], article_settings)
    ctx = AppContext(article_settings)
    queue = shared_queue(article_settings.model_concurrency)
    ticket = queue.enter()
    for _ in queue.wait(ticket):
        pass
    frames = []
    with registry.override(FakeChatModel(lambda m: "资料中没有相关信息。")):
        asker = threading.Thread(target=lambda: frames.extend(chat.respond(ctx, "荷花节有多少游客?", [], {}, None, ["lotus"])))
        asker.start()
        asker.join(2.0)
        try:
            assert asker.is_alive()  # the model is taken: the question waits, and says so
            assert any(msg("queued", "en", n=1) in f[0][-1]["content"] for f in frames)
        finally:
            queue.leave(ticket)
        asker.join(30)
    contexts = frames[-1][2][-1]["answer"]["contexts"]
    assert contexts and {c["doc_id"] for c in contexts} == {"lotus"}  # only the chosen document was searched
