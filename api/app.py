"""``create_api(settings)``: the HTTP API (FastAPI), with the Gradio UI mounted at ``/ui``.

Routes (bodies in ``api/schemas.py``; the OpenAPI schema at ``/openapi.json``, pages at ``/docs``):

* ``POST /v1/documents`` (a multipart ``file``, or JSON ``{"text", "title"}``), ``GET /v1/documents``,
  ``GET`` / ``DELETE /v1/documents/{doc_id}``;
* ``POST /v1/search``; ``POST /v1/ask`` (one JSON answer, or server-sent events with
  ``"stream": true``: the chain's events -- ``queued``, ``rewritten``, ``sources_found``, ``draft``,
  ``sentence``, ``refused``, ``done`` -- as the UI sees them); ``POST /v1/summaries``;
* ``POST /v1/chat/completions`` and ``GET /v1/models``, OpenAI-compatible (``api/openai_compat.py``);
* ``GET /healthz`` (the process answers), ``GET /readyz`` (store, BM25 index and model reachable).

Errors are JSON ``{"error": {"message", "hint", "type"}}`` with the messages the CLI prints:
``InputError`` 400 (404 for an unknown document), ``ConfigError`` 400, ``ModelMismatchError`` 409,
``StoreError`` 503, ``ModelError`` 502. ``api/security.py`` guards ``/v1/*`` (tokens, rate, size,
access log). Handlers are plain functions, so FastAPI runs them in worker threads: a long answer
never blocks search, uploads or reads, and answers wait in the process's model queue
(``rag.models.queue``). Shortcut: one retriever and one answer chain per process, built on first use.
"""

from __future__ import annotations

import logging
import threading
import uuid

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from rag.errors import ConfigError, InputError, ModelError, ModelMismatchError, RagError, StoreError
from rag.settings import Settings, get_settings

from .security import Guard, load_tokens

log = logging.getLogger(__name__)


class NotFound(InputError):
    """An id that names nothing in the store."""


def _status(err: RagError) -> tuple[int, str]:
    if isinstance(err, NotFound):
        return 404, "not_found"
    if isinstance(err, ModelMismatchError):
        return 409, "store"
    if isinstance(err, StoreError):
        return 503, "store"
    if isinstance(err, ModelError):
        return 502, "model"
    if isinstance(err, ConfigError):
        return 400, "config"
    return 400, "input"


def error_json(status: int, kind: str, message: str, hint: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "hint": hint, "type": kind}}, status_code=status)


class Service:
    """What the routes share: settings, the store, one retriever (its BM25 index loaded once and
    followed across writes) and the answer chain over it, each built on first use."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._chain = None
        self._retriever = None
        self._lock = threading.Lock()

    @property
    def store(self):
        from rag.index.store import Store

        return Store(self.settings)

    def retriever(self):
        with self._lock:
            if self._retriever is None:
                from rag.index.retriever import HybridRetriever

                self._retriever = HybridRetriever.from_settings(self.settings)
            return self._retriever

    def chain(self):
        retriever = self.retriever()
        with self._lock:
            if self._chain is None:
                from rag.answering import AnswerChain

                self._chain = AnswerChain(self.settings, retriever=retriever)
            return self._chain

    def document(self, doc_id: str):
        doc = self.store.get_document(doc_id)
        if doc is None:
            raise NotFound(f"no such document: {doc_id}", hint="GET /v1/documents lists them")
        return doc


def create_api(settings: Settings | None = None, ui: bool = True, ui_auth: tuple[str, str] | None = None) -> FastAPI:
    settings = settings or get_settings()
    tokens = load_tokens(settings)
    app = FastAPI(
        title="rag-news API",
        version="1.0",
        description="Questions answered with checked citations (or refused), search, summaries and documents. "
        "Send `Authorization: Bearer <token>` when the server has RAG_API_TOKENS.",
    )
    app.state.service = Service(settings)

    @app.exception_handler(RagError)
    def rag_error(request: Request, exc: RagError):
        status, kind = _status(exc)
        return error_json(status, kind, exc.message, exc.hint)

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, exc: RequestValidationError):
        parts = [f"{'.'.join(str(x) for x in e.get('loc', ()) if x != 'body') or 'body'}: {e.get('msg')}" for e in exc.errors()]
        return error_json(422, "input", "; ".join(parts)[:500] or "invalid request", "see /docs for the request format")

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, exc: StarletteHTTPException):
        kind = "not_found" if exc.status_code == 404 else "input"
        return error_json(exc.status_code, kind, str(exc.detail))

    @app.exception_handler(Exception)
    def unexpected(request: Request, exc: Exception):
        ref = uuid.uuid4().hex[:8]
        log.exception("unexpected error (ref %s)", ref, exc_info=exc)
        return error_json(500, "internal", f"unexpected error ({type(exc).__name__}); reference {ref} in the server log")

    from .openai_compat import router as openai_router
    from .routes import router

    app.include_router(router)
    app.include_router(openai_router)
    app.add_middleware(Guard, settings=settings, tokens=tokens)
    if ui:
        _mount_ui(app, settings, ui_auth)
    return app


def warm_up(app: FastAPI) -> threading.Thread:
    """Load the model in the background, then save each chunk's prompt start (``AnswerChain.warm``),
    so questions do not wait for them (a failure is only logged: the first question reports it)."""

    def run():
        try:
            app.state.service.chain().warm(passages=True)
        except Exception as exc:  # noqa: BLE001
            log.warning("model warm-up failed: %s", exc)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread


def _mount_ui(app: FastAPI, settings: Settings, auth: tuple[str, str] | None) -> None:
    import gradio as gr

    from ui import create_app
    from ui.app import LoginGuard, launch_defaults

    demo = create_app(settings)
    look = {k: v for k, v in launch_defaults().items() if k in ("css", "head", "theme", "i18n", "footer_links", "ssr_mode", "show_error")}
    gr.mount_gradio_app(
        app, demo, path="/ui", max_file_size=f"{settings.max_file_mb:g}mb", auth=LoginGuard(*auth) if auth else None,
        **look,
    )
    app.state.ui = demo

    @app.get("/", include_in_schema=False)
    def root():
        return RedirectResponse("/ui/")

