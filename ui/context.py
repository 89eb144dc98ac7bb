"""What one running app shares between requests: base settings, the store, cached chains.

* A browser session's own choices (model, endpoint, top-k, context budget from the
  Settings tab) are an ``overrides`` dict kept in that session's ``gr.State``;
  ``settings_for(overrides)`` applies them to the base settings.
* ``chain(overrides)`` builds the ``AnswerChain`` lazily on first use and caches it, so
  a missing model or an empty store is a readable error in the chat, not a failure of
  ``create_app``. ``changed()`` (after an upload, delete or re-ingest) drops the cached
  chains, whose BM25 index would otherwise be stale.
* ``problem(exc, lang)`` turns exceptions into UI messages: a ``RagError`` keeps its message
  and hint; anything else is logged with its traceback and shown as a short notice.

Shortcut: one lock serialises chain building; chains themselves are shared, and only
the last few override combinations stay cached.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from rag.errors import RagError
from rag.settings import Settings

from .i18n import msg

log = logging.getLogger("ui")


@dataclass
class Problem:
    """A failure as the UI shows it."""

    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return self.message


def problem(exc: BaseException, lang: str) -> Problem:
    if isinstance(exc, RagError):
        return Problem(exc.message, exc.hint)
    log.exception("unexpected error in a UI handler", exc_info=exc)
    return Problem(msg("unexpected", lang, kind=type(exc).__name__))


class AppContext:
    def __init__(self, settings: Settings):
        self.base = settings
        self.generation = 0
        self._chains: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._store = None

    @property
    def store(self):
        if self._store is None:
            from rag.index.store import Store

            self._store = Store(self.base)
        return self._store

    def settings_for(self, overrides: dict | None) -> Settings:
        return self.base.model_copy(update=dict(overrides)) if overrides else self.base

    def chain(self, overrides: dict | None = None):
        key = (tuple(sorted((overrides or {}).items())), self.generation)
        with self._lock:
            if key not in self._chains:
                from rag.answering import AnswerChain
                from rag.index.retriever import HybridRetriever
                from rag.models import get_chat_model

                s = self.settings_for(overrides)
                retriever = HybridRetriever.from_settings(s, store=self.store)
                # A model chosen in the Settings tab is asked for by name, so it is used
                # even while a test's fake model is the process default.
                llm = get_chat_model(s.chat_model if overrides and "chat_model" in overrides else None, settings=s)
                self._chains[key] = AnswerChain(s, retriever=retriever, llm=llm)
                while len(self._chains) > 4:
                    self._chains.pop(next(iter(self._chains)))
            return self._chains[key]

    def changed(self) -> None:
        with self._lock:
            self.generation += 1
            self._chains.clear()
