"""The Summaries tab's logic: the section tree, summarising with progress, Markdown export.

Uses ``rag.summaries`` (``section_paths``, ``summarize``, ``to_markdown``) imported at
call time: while that module is missing, the tab says so instead of failing. Sections
are offered as an indented list (whole document first, then each story and its
sub-sections in document order); the value of an entry is its heading path joined by
" / ", the whole document is ``WHOLE``. Summaries come back with their ``cached`` flag,
so cached ones are marked as such (they return at once). Shortcut: each run writes
its Markdown export to a fresh temporary folder, which Gradio then serves.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import gradio as gr

from .context import AppContext, problem
from .i18n import lang_of, msg
from .render import error_html, esc, summaries_html

WHOLE = "::document"
LENGTHS = ("short", "standard", "long")


def api():
    """The summaries module (a function so tests can stand in a missing one)."""
    from rag import summaries

    return summaries


def notice(lang: str) -> str:
    return f'<div class="sources-empty">{esc(msg("summaries_unavailable" if api() is None else "summaries_empty", lang))}</div>'


def section_choices(ctx: AppContext, doc_id: str | None, lang: str) -> list[tuple[str, str]]:
    mod = api()
    if mod is None or not doc_id:
        return []
    choices = [(msg("whole_document", lang), WHOLE)]
    for path in mod.section_paths(ctx.base, doc_id):
        label = "\u3000" * (len(path) - 1) + ("└ " if len(path) > 1 else "") + path[-1]
        choices.append((label, " / ".join(path)))
    return choices


def on_doc(ctx: AppContext, doc_id: str | None, request: gr.Request | None):
    lang = lang_of(request)
    try:
        choices = section_choices(ctx, doc_id, lang)
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return gr.update(choices=[], value=None), error_html(p.message, lang, p.hint)
    if not doc_id and api() is not None:
        return gr.update(choices=[], value=None), f'<div class="sources-empty">{esc(msg("no_documents", lang))}</div>'
    return gr.update(choices=choices, value=choices[0][1] if choices else None), notice(lang)


def run(
    ctx: AppContext,
    doc_id: str | None,
    section: str | None,
    all_sections: bool,
    length: str,
    summary_lang: str,
    refresh: bool,
    overrides: dict | None,
    request: gr.Request | None,
    progress=None,
):
    """Returns (summaries html, download button update)."""
    lang = lang_of(request)
    mod = api()
    if mod is None:
        return notice(lang), gr.update(visible=False)
    if not doc_id:
        return error_html(msg("no_documents", lang), lang), gr.update(visible=False)

    def on_progress(done=0, total=None, label="", *_):
        if progress is not None:
            progress((int(done), int(total) if total else None), desc=f"{msg('summarizing', lang)} {label}".strip())

    try:
        from rag.models import get_chat_model

        s = ctx.settings_for(overrides)
        llm = get_chat_model(s.chat_model if overrides and "chat_model" in overrides else None, settings=s)
        got = mod.summarize(
            settings=s,
            llm=llm,
            doc_id=doc_id,
            section=None if all_sections or section in (None, "", WHOLE) else section,
            all_sections=all_sections,
            length=length if length in LENGTHS else "standard",
            lang=summary_lang if summary_lang in ("zh", "en") else "zh",
            refresh=bool(refresh),
            progress=on_progress,
        )
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        gr.Warning(p.message)
        return error_html(p.message, lang, p.hint), gr.update(visible=False)
    out_dir = Path(tempfile.mkdtemp(prefix="rag-summary-"))
    name = re.sub(r"[^\w.-]+", "_", doc_id) + ("-all" if all_sections else "") + "-summary.md"
    path = out_dir / name
    path.write_text(mod.to_markdown(got), encoding="utf-8")
    return summaries_html(got, lang, chunk_contexts(ctx, got)), gr.update(value=str(path), visible=True)


def chunk_contexts(ctx: AppContext, got: list) -> dict[str, dict]:
    """chunk id -> {text, start, section, doc_id} for every cited chunk (for the cards)."""
    ids = sorted({c.chunk_id for s in got for c in s.citations})
    try:
        found = ctx.store.get_chunks(ids)
    except Exception:  # noqa: BLE001 - cards fall back to the bare quote
        return {}
    return {
        cid: {"text": text, "start": meta.get("start"), "section": meta.get("section"), "doc_id": meta.get("doc_id")}
        for cid, (text, meta) in found.items()
    }
