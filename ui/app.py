"""``create_app(settings)`` builds the Gradio interface; ``launch(...)`` serves it.

Four tabs over one ``AppContext`` (``ui/context.py``): Chat (``ui/chat.py``), Summaries
(``ui/summaries.py``), Documents (``ui/documents.py``) and Settings
(``ui/settings_tab.py``); HTML comes from ``ui/render.py``, words from ``ui/i18n.py``,
CSS and page scripts from ``ui/assets.py``. This module only lays the components out
and wires events to those functions.

Building touches neither the store nor a model: everything that can fail (empty store,
missing model, dead endpoint) happens in a handler and shows up as a message. The
returned ``RagApp`` is a ``gr.Blocks`` whose ``launch()`` already carries the CSS,
scripts, i18n table and safe defaults (127.0.0.1, no SSR, no analytics); any of them
can still be overridden by keyword. Shortcut: Gradio's default of one running event
per listener means answers are produced one at a time, which is what the single local
model can do anyway.
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from rag.settings import Settings, get_settings  # noqa: E402

from . import chat, documents, summaries  # noqa: E402
from . import settings_tab as st  # noqa: E402
from .assets import CONFIRM_DELETE_JS, COPY_JS, CSS, HEAD  # noqa: E402
from .context import AppContext, problem  # noqa: E402
from .i18n import I18N, T, lang_of, msg  # noqa: E402
from .render import DEBUG_COLUMNS, DEBUG_WIDTHS, DOC_COLUMNS, debug_table, error_html, table  # noqa: E402

DEBUG_HEADERS = [msg(c, "en") for c in DEBUG_COLUMNS]
DOC_HEADERS = [msg(c, "en") for c in DOC_COLUMNS]


def launch_defaults() -> dict:
    return dict(
        server_name="127.0.0.1",
        css=CSS,
        head=HEAD,
        i18n=I18N,
        theme=gr.themes.Soft(),
        ssr_mode=False,
        footer_links=[],
        show_error=False,
    )


class RagApp(gr.Blocks):
    """A ``gr.Blocks`` whose ``launch`` defaults to this app's look and safe options."""

    def launch(self, *args, **kwargs):  # noqa: D401 - same contract as gr.Blocks.launch
        return super().launch(*args, **{**launch_defaults(), **kwargs})


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None, **kw):
    """Serve ``demo`` (blocking unless ``prevent_thread_lock=True``)."""
    return demo.launch(server_name=host, server_port=port, auth=auth, **kw)


def create_app(settings: Settings | None = None) -> RagApp:
    ctx = AppContext(settings or get_settings())
    form = st.initial(ctx)

    with RagApp(title="rag-news", analytics_enabled=False) as demo:
        overrides = gr.State({})
        turns = gr.State([])
        copy_text = gr.Textbox("", visible=False, elem_id="copy-text")  # read by the copy button's script
        gr.Markdown("# " + T("title"), elem_id="app-title")
        gr.Markdown(T("subtitle"), elem_id="app-subtitle")

        with gr.Tabs(elem_id="tabs"):
            # ---------------------------------------------------------------- chat
            with gr.Tab(T("tab_chat"), id="chat", elem_id="tab-chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chatbot = gr.Chatbot(
                            label=T("chat"), elem_id="chatbot", height=520, buttons=[],
                            feedback_options=None, group_consecutive_messages=False,
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                label=T("question"), placeholder=T("question_ph"), elem_id="question",
                                scale=5, lines=1, max_lines=4, autofocus=True,
                            )
                            ask = gr.Button(T("ask"), variant="primary", elem_id="ask", scale=1)
                        examples = gr.Dataset(
                            label=T("examples"), components=[question], samples=[], elem_id="examples",
                            samples_per_page=6,
                        )
                        with gr.Row():
                            new = gr.Button(T("new_chat"), elem_id="new-chat", size="sm")
                            copy = gr.Button(T("copy"), elem_id="copy-answer", size="sm")
                    with gr.Column(scale=2):
                        gr.Markdown("### " + T("sources"))
                        sources = gr.HTML(chat.render_sources([], "en"), elem_id="sources", padding=False)

            # ---------------------------------------------------------------- summaries
            with gr.Tab(T("tab_summaries"), id="summaries", elem_id="tab-summaries"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1):
                        sum_doc = gr.Dropdown(label=T("doc_choice"), choices=[], elem_id="sum-doc")
                        sum_section = gr.Radio(label=T("section_choice"), choices=[], elem_id="sum-section")
                        sum_length = gr.Radio(
                            [(T("length_short"), "short"), (T("length_standard"), "standard"), (T("length_long"), "long")],
                            value="standard", label=T("length"), elem_id="sum-length",
                        )
                        sum_lang = gr.Radio([("中文", "zh"), ("English", "en")], value="zh", label=T("summary_lang"))
                        sum_refresh = gr.Checkbox(False, label=T("refresh"), elem_id="sum-refresh")
                        with gr.Row():
                            sum_one = gr.Button(T("summarize_one"), variant="primary", elem_id="sum-one")
                            sum_all = gr.Button(T("summarize_all"), elem_id="sum-all")
                    with gr.Column(scale=2):
                        sum_out = gr.HTML(summaries.notice("en"), elem_id="sum-out", padding=False)
                        sum_dl = gr.DownloadButton(T("download_md"), visible=False, elem_id="sum-download")

            # ---------------------------------------------------------------- documents
            with gr.Tab(T("tab_documents"), id="documents", elem_id="tab-documents"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        doc_table = gr.Dataframe(
                            headers=DOC_HEADERS, label=T("docs_table"), interactive=False, elem_id="doc-table",
                            wrap=True, column_widths=["38%", "14%", "16%", "32%"],
                        )
                        files = gr.File(
                            label=T("upload"), file_count="multiple", file_types=[".txt", ".md"], elem_id="upload",
                        )
                        ingest_btn = gr.Button(T("ingest"), variant="primary", elem_id="ingest")
                        doc_status = gr.HTML("", elem_id="doc-status", padding=False)
                    with gr.Column(scale=3):
                        with gr.Row():
                            doc_pick = gr.Dropdown(label=T("doc"), choices=[], elem_id="doc-pick", scale=3)
                            reingest_btn = gr.Button(T("reingest"), elem_id="reingest", scale=1, size="sm")
                            delete_btn = gr.Button(T("delete"), variant="stop", elem_id="delete", scale=1, size="sm")
                        doc_view = gr.HTML("", elem_id="doc-view", padding=False)

            # ---------------------------------------------------------------- settings
            with gr.Tab(T("tab_settings"), id="settings", elem_id="tab-settings"):
                with gr.Row(equal_height=False):
                    with gr.Column():
                        gr.Markdown("### " + T("model"))
                        provider = gr.Dropdown(st.providers(ctx), value=form["provider"], label=T("provider"), elem_id="provider")
                        model_name = gr.Textbox(form["name"], label=T("model_name"), info=T("model_name_info"), elem_id="model-name")
                        endpoint = gr.Textbox(form["endpoint"], label=T("endpoint"), info=T("endpoint_info"), elem_id="endpoint")
                        api_key = gr.Textbox("", label=T("api_key"), type="password", elem_id="api-key")
                    with gr.Column():
                        gr.Markdown("### " + T("retrieval"))
                        top_k = gr.Slider(1, 20, value=form["top_k"], step=1, label=T("top_k"), elem_id="top-k")
                        context_chars = gr.Slider(
                            300, 8000, value=form["context_chars"], step=100, label=T("context_chars"), elem_id="context-chars"
                        )
                        with gr.Row():
                            apply_btn = gr.Button(T("apply"), variant="primary", elem_id="apply")
                            test_btn = gr.Button(T("test_connection"), elem_id="test-connection")
                        settings_status = gr.HTML("", elem_id="settings-status", padding=False)
                gr.Markdown("### " + T("debug"))
                gr.Markdown(T("debug_info"))
                with gr.Row():
                    debug_query = gr.Textbox(label=T("debug_query"), elem_id="debug-query", scale=4)
                    debug_mode = gr.Radio(list(st.MODES), value="hybrid", label=T("debug_mode"), scale=2)
                    debug_btn = gr.Button(T("debug_search"), elem_id="debug-search", scale=1)
                debug_status = gr.HTML("", padding=False)
                debug_df = gr.Dataframe(
                    headers=DEBUG_HEADERS, interactive=False, elem_id="debug-table", wrap=True, column_widths=DEBUG_WIDTHS
                )

        # ------------------------------------------------------------------ events: chat
        def respond(q, ts, ov, request: gr.Request):
            yield from chat.respond(ctx, q, ts, ov, request)

        chat_outputs = [chatbot, sources, turns, copy_text, debug_df, question]
        question.submit(respond, [question, turns, overrides], chat_outputs, api_name="ask")
        ask.click(respond, [question, turns, overrides], chat_outputs, api_name=False)
        examples.click(lambda sample: sample[0] if sample else "", [examples], [question], api_name=False).then(
            respond, [question, turns, overrides], chat_outputs, api_name=False
        )

        def new_chat(request: gr.Request):
            return chat.new_chat(request)

        new.click(new_chat, None, [chatbot, sources, turns, copy_text, debug_df], api_name=False)
        chatbot.clear(new_chat, None, [chatbot, sources, turns, copy_text, debug_df], api_name=False)
        copy.click(None, [copy_text], None, js=COPY_JS, api_name=False)

        # ------------------------------------------------------------------ events: page load
        def examples_update():
            samples = [[q] for q in chat.example_questions(ctx)]
            return gr.update(samples=samples, visible=bool(samples))

        def on_load(request: gr.Request):
            lang = lang_of(request)
            try:
                ids, rows = documents.doc_ids(ctx), documents.rows(ctx, lang)
                status = "" if ids else error_html(msg("no_documents", lang), lang)
            except Exception as exc:  # noqa: BLE001 - the store may be unreachable: say so
                p = problem(exc, lang)
                ids, rows, status = [], table([], DOC_COLUMNS, lang), error_html(p.message, lang, p.hint)
            first = ids[0] if ids else None
            sections, sum_msg = summaries.on_doc(ctx, first, request)
            return (
                examples_update(),
                chat.render_sources([], lang) if ids else status,
                rows, debug_table([], [], lang), gr.update(choices=ids, value=first), gr.update(choices=ids, value=first),
                sections, sum_msg, status,
            )

        demo.load(
            on_load, None,
            [examples, sources, doc_table, debug_df, doc_pick, sum_doc, sum_section, sum_out, doc_status],
            api_name=False,
        )

        # ------------------------------------------------------------------ events: documents
        def upload(fs, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
            return documents.upload(ctx, fs, request, progress)

        def refresh_lists(request: gr.Request):
            try:
                ids = documents.doc_ids(ctx)
            except Exception:  # noqa: BLE001 - the failing step already showed the error
                return gr.skip(), gr.skip(), gr.skip()
            sections, _ = summaries.on_doc(ctx, ids[0] if ids else None, request)
            return examples_update(), gr.update(choices=ids, value=ids[0] if ids else None), sections

        ingest_btn.click(upload, [files], [doc_status, doc_table, doc_pick], api_name=False).then(
            refresh_lists, None, [examples, sum_doc, sum_section], api_name=False
        )

        def view(doc_id, request: gr.Request):
            return documents.view(ctx, doc_id, request)

        doc_pick.change(view, [doc_pick], [doc_view], api_name=False)

        def delete(doc_id, request: gr.Request):
            return documents.delete(ctx, doc_id, request)

        delete_btn.click(delete, [doc_pick], [doc_status, doc_table, doc_pick, doc_view], js=CONFIRM_DELETE_JS, api_name=False).then(
            refresh_lists, None, [examples, sum_doc, sum_section], api_name=False
        )

        def reingest(doc_id, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
            return documents.reingest(ctx, doc_id, request, progress)

        reingest_btn.click(reingest, [doc_pick], [doc_status, doc_table, doc_view], api_name=False)

        # ------------------------------------------------------------------ events: summaries
        def pick_doc(doc_id, request: gr.Request):
            return summaries.on_doc(ctx, doc_id, request)

        sum_doc.input(pick_doc, [sum_doc], [sum_section, sum_out], api_name=False)

        def summarize_one(doc_id, section, length, slang, refresh, ov, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
            return summaries.run(ctx, doc_id, section, False, length, slang, refresh, ov, request, progress)

        def summarize_all(doc_id, section, length, slang, refresh, ov, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
            return summaries.run(ctx, doc_id, section, True, length, slang, refresh, ov, request, progress)

        sum_inputs = [sum_doc, sum_section, sum_length, sum_lang, sum_refresh, overrides]
        sum_one.click(summarize_one, sum_inputs, [sum_out, sum_dl], api_name=False)
        sum_all.click(summarize_all, sum_inputs, [sum_out, sum_dl], api_name=False)

        # ------------------------------------------------------------------ events: settings
        form_inputs = [provider, model_name, endpoint, api_key, top_k, context_chars]

        def apply(p, n, e, k, tk, cc, ov, request: gr.Request):
            return st.apply(ctx, p, n, e, k, tk, cc, ov, request)

        apply_btn.click(apply, form_inputs + [overrides], [overrides, settings_status], api_name=False)

        def test(p, n, e, k, tk, cc, request: gr.Request):
            return st.test_connection(ctx, p, n, e, k, tk, cc, request)

        test_btn.click(test, form_inputs, [settings_status], api_name=False)

        def debug(q, mode, ov, request: gr.Request):
            return st.debug_search(ctx, q, mode, ov, request)

        debug_btn.click(debug, [debug_query, debug_mode, overrides], [debug_df, debug_status], api_name=False)
        debug_query.submit(debug, [debug_query, debug_mode, overrides], [debug_df, debug_status], api_name=False)

    demo.ctx = ctx  # for tests and embedding
    return demo
