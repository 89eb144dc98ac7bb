"""The Settings tab's layout and events; what its handlers do is in ``ui/settings_tab.py``.

``build_settings_tab(shared)`` lays out the model form (provider, name, endpoint, API
key), the retrieval form (top-k, context budget) with its apply and test-connection
buttons, and the retrieval-debug search above the shared retrieval table
(``shared.debug_df``, placed here), and wires them: apply validates the form into the
session's ``overrides``; test connection tries the form as filled in, applied or not;
the debug search (button or Enter) fills the table using those overrides.

The form starts from the server's settings (``settings_tab.initial``). Nothing here is
needed by the other tabs, so the builder returns nothing.
Shortcut: the form's choices and starting values, the provider list included, are
computed once when the app is built, not on each page load.
"""

from __future__ import annotations

import gradio as gr

from . import settings_tab as st
from .i18n import T
from .shared import Shared


def build_settings_tab(shared: Shared) -> None:
    ctx = shared.ctx
    form = st.initial(ctx)
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
        shared.debug_df.render()

    form_inputs = [provider, model_name, endpoint, api_key, top_k, context_chars]

    def apply(p, n, e, k, tk, cc, ov, request: gr.Request):
        return st.apply(ctx, p, n, e, k, tk, cc, ov, request)

    apply_btn.click(apply, form_inputs + [shared.overrides], [shared.overrides, settings_status], api_name=False)

    def test(p, n, e, k, tk, cc, request: gr.Request):
        return st.test_connection(ctx, p, n, e, k, tk, cc, request)

    test_btn.click(test, form_inputs, [settings_status], api_name=False)

    def debug(q, mode, ov, request: gr.Request):
        return st.debug_search(ctx, q, mode, ov, request)

    debug_inputs = [debug_query, debug_mode, shared.overrides]
    debug_btn.click(debug, debug_inputs, [shared.debug_df, debug_status], api_name=False)
    debug_query.submit(debug, debug_inputs, [shared.debug_df, debug_status], api_name=False)
