"""The Summaries tab's layout and events; what its handlers do is in ``ui/summaries.py``.

``build_summaries_tab(shared)`` lays out the document and section pickers, length,
language and refresh options, the two summarise buttons, the result and its Markdown
download, and wires them: picking a document fills its section list; "summarise" runs
the chosen section, "summarise all" every section of the document, both with the session's
model overrides. It returns the ``SummariesTab`` parts the page load and the Documents
tab refill: the document list, the section list and the result.
Shortcut: the document list is refilled only on page load and after an upload or a
delete in this page, not when another browser changes the store.
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from . import summaries
from .i18n import T
from .shared import Shared


@dataclass
class SummariesTab:
    doc: gr.Dropdown
    section: gr.Radio
    out: gr.HTML


def build_summaries_tab(shared: Shared) -> SummariesTab:
    ctx = shared.ctx
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

    def pick_doc(doc_id, request: gr.Request):
        return summaries.on_doc(ctx, doc_id, request)

    sum_doc.input(pick_doc, [sum_doc], [sum_section, sum_out], api_name=False)

    def summarize_one(doc_id, section, length, slang, refresh, ov, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        return summaries.run(ctx, doc_id, section, False, length, slang, refresh, ov, request, progress)

    def summarize_all(doc_id, section, length, slang, refresh, ov, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        return summaries.run(ctx, doc_id, section, True, length, slang, refresh, ov, request, progress)

    sum_inputs = [sum_doc, sum_section, sum_length, sum_lang, sum_refresh, shared.overrides]
    model_queue = {"concurrency_id": "model", "concurrency_limit": max(1, ctx.base.model_concurrency)}  # as the chat's
    sum_one.click(summarize_one, sum_inputs, [sum_out, sum_dl], api_name=False, **model_queue)
    sum_all.click(summarize_all, sum_inputs, [sum_out, sum_dl], api_name=False, **model_queue)
    return SummariesTab(doc=sum_doc, section=sum_section, out=sum_out)
