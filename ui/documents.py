"""The Documents tab's logic: list, upload + ingest with progress, view, delete, re-ingest.

Uploads are checked (type, size, encoding, text present) before anything is stored;
good files are then copied to ``<data dir>/uploads/`` and ingested from there, so a
document's recorded source stays readable for a later re-ingest. Re-ingest reads the
source file again when it still exists, otherwise re-chunks the stored cleaned text
(useful after a chunking change). Every change calls ``ctx.changed()`` so the chat's
cached retriever sees it. Error messages name the file, not the temporary path.
Shortcut: the document id comes from the file name, so uploading a file of the same
name again replaces (incrementally re-ingests) the earlier document.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import gradio as gr

from rag.errors import InputError
from rag.ingest.loaders import SUPPORTED_SUFFIXES as SUFFIXES

from .assets import CANCELLED
from .context import AppContext, problem
from .i18n import lang_of, msg
from .render import DOC_COLUMNS, document_html, error_html, esc, table


def rows(ctx: AppContext, lang: str = "en") -> dict:
    data = [
        [d["doc_id"], d.get("chunks", 0), d.get("chars", ""), Path(d.get("source", "")).name]
        for d in ctx.store.list_documents()
    ]
    return table(data, DOC_COLUMNS, lang)


def doc_ids(ctx: AppContext) -> list[str]:
    return [d["doc_id"] for d in ctx.store.list_documents()]


def report_text(report, lang: str) -> str:
    return msg(
        "ingest_summary", lang, chunks=report.chunks_total, embedded=report.embedded,
        unchanged=report.unchanged, deleted=report.deleted,
    )


def ok_html(text: str) -> str:
    return f'<div class="ok-box">{esc(text)}</div>'


def _file_path(f) -> Path:
    return Path(f if isinstance(f, str) else getattr(f, "name", None) or getattr(f, "path", ""))


def _check(paths: list[Path], settings) -> None:
    from rag.ingest import load_document

    for p in paths:
        if p.suffix.lower() not in SUFFIXES:
            raise InputError(
                f"{p.name}: unsupported file type {p.suffix or '(none)'}",
                hint=f"upload {', '.join(SUFFIXES)} files",
            )
        try:
            load_document(p, settings)
        except InputError as err:
            raise InputError(err.message.replace(str(p), p.name), err.hint) from err


def upload(ctx: AppContext, files, request: gr.Request | None, progress=None):
    """Returns (status html, table rows, doc choices). Every file is checked before any is stored;
    a file whose text is already stored under another id is not stored again (``rag.ingest.uploads``)."""
    from rag.ingest.uploads import store_upload

    lang = lang_of(request)
    if not files:
        return error_html(msg("no_files", lang), lang), gr.skip(), gr.skip()
    files = files if isinstance(files, list) else [files]

    def on_progress(done: int, total: int, label: str) -> None:
        if progress is not None:
            progress((done, max(total, 1)), desc=f"{msg('embedding', lang)} {label}")

    stored, duplicates, parts = [], [], []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            staged = []
            for f in files:
                src = _file_path(f)
                dst = Path(tmp) / src.name
                shutil.copyfile(src, dst)
                staged.append(dst)
            _check(staged, ctx.base)
            for p in staged:
                done = store_upload(p.name, p.read_bytes(), ctx.base, progress=on_progress)
                if done.duplicate_of:
                    duplicates.append(msg("duplicate", lang, file=p.name, doc=done.duplicate_of))
                else:
                    stored.append(done.doc_id)
                    parts.append(report_text(done.report, lang))
    except Exception as exc:  # noqa: BLE001 - shown to the user; the server keeps serving
        p = problem(exc, lang)
        gr.Warning(p.message)
        return error_html(p.message, lang, p.hint), gr.skip(), gr.skip()
    finally:
        ctx.changed()
    lines = [msg("ingest_done", lang, docs=", ".join(stored), summary="; ".join(parts))] if stored else []
    text = " ".join(lines + duplicates)
    gr.Info(text)
    ids = doc_ids(ctx)
    return ok_html(text), rows(ctx, lang), gr.update(choices=ids, value=(stored or [None])[-1])


def view(ctx: AppContext, doc_id: str | None, request: gr.Request | None) -> str:
    lang = lang_of(request)
    if not doc_id:
        return ""
    try:
        doc = ctx.store.get_document(doc_id)
        if doc is None:
            return error_html(f"{doc_id}: not in the store", lang)
        return document_html(doc, ctx.store.all_chunks(doc_id), lang)
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return error_html(p.message, lang, p.hint)


def delete(ctx: AppContext, doc_id: str | None, request: gr.Request | None):
    """Returns (status html, table rows, doc choices, viewer html)."""
    lang = lang_of(request)
    if doc_id == CANCELLED:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    if not doc_id:
        return error_html(msg("pick_doc", lang), lang), gr.skip(), gr.skip(), gr.skip()
    try:
        n = ctx.store.delete_document(doc_id)
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return error_html(p.message, lang, p.hint), gr.skip(), gr.skip(), gr.skip()
    finally:
        ctx.changed()
    ids = doc_ids(ctx)
    return ok_html(msg("deleted", lang, doc=doc_id, n=n)), rows(ctx, lang), gr.update(choices=ids, value=None), ""


def reingest(ctx: AppContext, doc_id: str | None, request: gr.Request | None, progress=None):
    """Returns (status html, table rows, viewer html)."""
    from rag.ingest import ingest, ingest_documents

    lang = lang_of(request)
    if not doc_id:
        return error_html(msg("pick_doc", lang), lang), gr.skip(), gr.skip()

    def on_progress(done: int, total: int, label: str) -> None:
        if progress is not None:
            progress((done, max(total, 1)), desc=f"{msg('embedding', lang)} {label}")

    try:
        doc = ctx.store.get_document(doc_id)
        if doc is None:
            raise InputError(f"{doc_id}: not in the store", hint="refresh the page")
        source = Path(doc.source) if doc.source else None
        if source is not None and source.is_file():
            report = ingest([source], ctx.base, progress=on_progress)
        else:
            report = ingest_documents([doc], ctx.base, progress=on_progress)
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return error_html(p.message, lang, p.hint), gr.skip(), gr.skip()
    finally:
        ctx.changed()
    return ok_html(msg("reingested", lang, doc=doc_id, summary=report_text(report, lang))), rows(ctx, lang), view(ctx, doc_id, request)
