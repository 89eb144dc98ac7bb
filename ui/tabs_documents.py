"""The Documents tab's layout and events; what its handlers do is in ``ui/documents.py``.

``build_documents_tab(shared)`` lays out the document table, the upload box and its
ingest button, the status line, and the picked document's viewer with its re-ingest
and delete buttons, and wires them: ingest (with progress) refills the table and the
picker; picking a document shows it; delete asks the browser for confirmation first;
re-ingest (with progress) refreshes the table and the viewer.

It returns the ``DocumentsTab`` parts the page load fills (table, picker, status) and
the ``ingested`` and ``deleted`` events, on which ``ui/app.py`` chains the refresh of
the other tabs' document lists.
Shortcut: a re-ingest keeps the document's id, so the other tabs are not refreshed
after it (a changed section list shows after the next pick of the document).
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from . import documents
from .assets import CONFIRM_DELETE_JS
from .i18n import T, msg
from .render import DOC_COLUMNS
from .shared import Shared

DOC_HEADERS = [msg(c, "en") for c in DOC_COLUMNS]


@dataclass
class DocumentsTab:
    table: gr.Dataframe
    pick: gr.Dropdown
    status: gr.HTML
    ingested: gr.events.Dependency
    deleted: gr.events.Dependency


def build_documents_tab(shared: Shared) -> DocumentsTab:
    ctx = shared.ctx
    with gr.Tab(T("tab_documents"), id="documents", elem_id="tab-documents"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=2):
                doc_table = gr.Dataframe(
                    headers=DOC_HEADERS, label=T("docs_table"), interactive=False, elem_id="doc-table",
                    wrap=True, column_widths=["38%", "14%", "16%", "32%"],
                )
                files = gr.File(
                    label=T("upload"), file_count="multiple", file_types=list(documents.SUFFIXES), elem_id="upload",
                )
                ingest_btn = gr.Button(T("ingest"), variant="primary", elem_id="ingest")
                doc_status = gr.HTML("", elem_id="doc-status", padding=False)
            with gr.Column(scale=3):
                with gr.Row():
                    doc_pick = gr.Dropdown(label=T("doc"), choices=[], elem_id="doc-pick", scale=3)
                    reingest_btn = gr.Button(T("reingest"), elem_id="reingest", scale=1, size="sm")
                    delete_btn = gr.Button(T("delete"), variant="stop", elem_id="delete", scale=1, size="sm")
                doc_view = gr.HTML("", elem_id="doc-view", padding=False)

    def upload(fs, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        return documents.upload(ctx, fs, request, progress)

    ingested = ingest_btn.click(upload, [files], [doc_status, doc_table, doc_pick], api_name=False)

    def view(doc_id, request: gr.Request):
        return documents.view(ctx, doc_id, request)

    doc_pick.change(view, [doc_pick], [doc_view], api_name=False)

    def delete(doc_id, request: gr.Request):
        return documents.delete(ctx, doc_id, request)

    deleted = delete_btn.click(
        delete, [doc_pick], [doc_status, doc_table, doc_pick, doc_view], js=CONFIRM_DELETE_JS, api_name=False
    )

    def reingest(doc_id, request: gr.Request, progress=gr.Progress()):  # noqa: B008 - how Gradio injects progress
        return documents.reingest(ctx, doc_id, request, progress)

    reingest_btn.click(reingest, [doc_pick], [doc_status, doc_table, doc_view], api_name=False)
    return DocumentsTab(table=doc_table, pick=doc_pick, status=doc_status, ingested=ingested, deleted=deleted)
