"""``create_app(settings)`` builds the Gradio interface; ``launch(...)`` serves it.

Four tabs over one ``AppContext`` (``ui/context.py``). Each tab's layout and events are
one builder in its own module: ``build_chat_tab`` (``ui/tabs_chat.py``),
``build_summaries_tab`` (``ui/tabs_summaries.py``), ``build_documents_tab``
(``ui/tabs_documents.py``) and ``build_settings_tab`` (``ui/tabs_settings.py``); what
their handlers do is in ``ui/chat.py``, ``ui/summaries.py``, ``ui/documents.py`` and
``ui/settings_tab.py``. What the tabs share (the context, the session's state, the
retrieval table) is ``Shared`` (``ui/shared.py``); HTML comes from ``ui/render.py``,
words from ``ui/i18n.py``, CSS and page scripts from ``ui/assets.py``. This module
builds the page from those parts and wires the events that span tabs
(``wire_across_tabs``): the page load fills the chat's examples and sources, the
document lists of the Documents and Summaries tabs and the retrieval table; an upload
or a delete refreshes the examples and the Summaries tab's document list.

Building touches neither the store nor a model: everything that can fail (empty store,
missing model, dead endpoint) happens in a handler and shows up as a message. The
returned ``RagApp`` is a ``gr.Blocks`` whose ``launch()`` already carries the CSS,
scripts, i18n table and safe defaults (127.0.0.1, no SSR, no analytics); any of them
can still be overridden by keyword. Answers and summaries wait in the process's one fair
queue for the model (``rag.models.queue``, ``RAG_MODEL_CONCURRENCY`` at a time, shared with the
HTTP API); everything else runs beside it.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from rag.settings import Settings, get_settings  # noqa: E402

from . import chat, documents, summaries  # noqa: E402
from .assets import CSS, HEAD  # noqa: E402
from .context import AppContext, problem  # noqa: E402
from .i18n import I18N, T, lang_of, msg  # noqa: E402
from .render import DOC_COLUMNS, debug_table, error_html, table  # noqa: E402
from .shared import Shared  # noqa: E402
from .tabs_chat import ChatTab, build_chat_tab, examples_update  # noqa: E402
from .tabs_documents import DocumentsTab, build_documents_tab  # noqa: E402
from .tabs_settings import build_settings_tab  # noqa: E402
from .tabs_summaries import SummariesTab, build_summaries_tab  # noqa: E402


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
    """A ``gr.Blocks`` whose ``launch`` defaults to this app's look and safe options: uploads are
    capped at ``RAG_MAX_FILE_MB`` and a login is rate-limited (``LoginGuard``)."""

    ctx: AppContext

    def launch(self, *args, **kwargs):  # noqa: D401 - same contract as gr.Blocks.launch
        defaults = launch_defaults()
        settings = getattr(getattr(self, "ctx", None), "base", None)
        if settings is not None:
            defaults["max_file_size"] = f"{settings.max_file_mb:g}mb"
        if isinstance(kwargs.get("auth"), tuple):
            kwargs["auth"] = LoginGuard(*kwargs["auth"])
        return super().launch(*args, **{**defaults, **kwargs})


class LoginGuard:
    """Checks a login; after ``max_failures`` wrong ones within ``window`` seconds every login is
    refused for ``lockout`` seconds (a guessing script gets nowhere), then counting starts again."""

    def __init__(self, user: str, password: str, max_failures: int = 5, window: float = 60.0, lockout: float = 60.0):
        self.user, self.password = user, password
        self.max_failures, self.window, self.lockout = max_failures, window, lockout
        self._failures: list[float] = []
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._locked_until:
                return False
            ok = hmac.compare_digest(user, self.user) and hmac.compare_digest(password, self.password)
            if ok:
                return True
            self._failures = [t for t in self._failures if now - t < self.window] + [now]
            if len(self._failures) >= self.max_failures:
                self._locked_until, self._failures = now + self.lockout, []
            return False


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None, **kw):
    """Serve ``demo`` (blocking unless ``prevent_thread_lock=True``)."""
    return demo.launch(server_name=host, server_port=port, auth=auth, **kw)


def warm_up(demo: RagApp) -> threading.Thread:
    """Load the model and its system prompt in the background, then save each chunk's prompt start
    (``AnswerChain.warm``), so questions do not pay for them; a failure here is only logged (the
    first question will report it). Questions asked meanwhile wait at most one chunk's evaluation."""

    def run():
        try:
            demo.ctx.chain().warm(passages=True)
        except Exception as exc:  # noqa: BLE001 - reported when a question is asked
            logging.getLogger(__name__).warning("model warm-up failed: %s", exc)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def create_app(settings: Settings | None = None) -> RagApp:
    ctx = AppContext(settings or get_settings())
    # uploads Gradio keeps in its temp folder are deleted after 10 minutes and when the server stops
    with RagApp(title="rag-news", analytics_enabled=False, delete_cache=(600, 600)) as demo:
        shared = Shared.create(ctx)
        gr.Markdown("# " + T("title"), elem_id="app-title")
        gr.Markdown(T("subtitle"), elem_id="app-subtitle")
        with gr.Tabs(elem_id="tabs"):
            chat_tab = build_chat_tab(shared)
            sums_tab = build_summaries_tab(shared)
            docs_tab = build_documents_tab(shared)
            build_settings_tab(shared)
        wire_across_tabs(demo, shared, chat_tab, sums_tab, docs_tab)
    demo.ctx = ctx  # for tests and embedding
    return demo


def wire_across_tabs(demo: gr.Blocks, shared: Shared, chat_tab: ChatTab, sums_tab: SummariesTab, docs_tab: DocumentsTab) -> None:
    """The page load fills every tab; an upload or a delete refreshes the other tabs' lists."""
    ctx = shared.ctx

    def on_load(request: gr.Request):
        return page_load(ctx, request)

    demo.load(
        on_load, None,
        [
            chat_tab.examples, chat_tab.sources, docs_tab.table, shared.debug_df, docs_tab.pick,
            sums_tab.doc, sums_tab.section, sums_tab.out, docs_tab.status, chat_tab.scope,
        ],
        api_name=False,
    )

    def refresh_lists(request: gr.Request):
        return lists_after_change(ctx, request)

    for changed in (docs_tab.ingested, docs_tab.deleted):
        changed.then(
            refresh_lists, None, [chat_tab.examples, sums_tab.doc, sums_tab.section, chat_tab.scope], api_name=False
        )


def page_load(ctx: AppContext, request: gr.Request | None) -> tuple:
    """The page load's outputs, in the order ``wire_across_tabs`` lists them."""
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
        examples_update(ctx),
        chat.render_sources([], lang) if ids else status,
        rows, debug_table([], [], lang), gr.update(choices=ids, value=first), gr.update(choices=ids, value=first),
        sections, sum_msg, status, gr.update(choices=ids, value=[]),
    )


def lists_after_change(ctx: AppContext, request: gr.Request | None) -> tuple:
    """After an upload or a delete: the chat's examples, the Summaries tab's documents and sections."""
    try:
        ids = documents.doc_ids(ctx)
    except Exception:  # noqa: BLE001 - the failing step already showed the error
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    sections, _ = summaries.on_doc(ctx, ids[0] if ids else None, request)
    return examples_update(ctx), gr.update(choices=ids, value=ids[0] if ids else None), sections, gr.update(choices=ids)
