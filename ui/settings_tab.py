"""The Settings tab's logic: model provider / endpoint, top-k and context budget,
a test-connection button, and the retrieval-debug table.

Choices apply to the browser session only (an ``overrides`` dict in ``gr.State``), never
to other users of the same server. ``apply`` validates before anything changes: the
model string must parse (``rag.llm.parse_spec``) and an endpoint must be an http(s)
URL with a host. ``test_connection`` sends a one-word prompt to the model as it is
filled in (applied or not) and reports the time or the provider's error, translated.
The server's own ``RAG_OPENAI_API_KEY`` is sent only to the endpoint the operator configured;
an endpoint typed here gets the key typed here or none. Shortcuts: an API key typed here stays
in the server's session memory, never on disk; the
``fake`` provider is only offered while a fake model is active (tests, demos).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import gradio as gr

from rag.errors import ConfigError

from .context import AppContext, problem
from .i18n import lang_of, msg
from .render import debug_table, error_html, esc

MODES = ("hybrid", "bm25", "dense")


def providers(ctx: AppContext) -> list[str]:
    from rag.models import registry

    out = ["local", "openai"]
    if registry.overridden is not None or ctx.base.chat_model.startswith("fake"):
        out.append("fake")
    return out


def initial(ctx: AppContext) -> dict:
    s = ctx.base
    provider, _, name = s.chat_model.partition(":")
    return {
        "provider": provider.strip().lower(),
        "name": name.strip(),
        "endpoint": s.openai_base_url or "",
        "top_k": s.top_k,
        "context_chars": s.context_chars,
    }


def overrides_from(
    provider: str, name: str, endpoint: str, api_key: str, top_k, context_chars, lang: str,
    server_endpoint: str | None = None,
) -> dict:
    """The overrides for these form values, or ConfigError saying what is wrong.

    The server's API key goes only to the endpoint the operator configured (``server_endpoint``):
    any other endpoint typed here is used with the key typed here, or with none."""
    from rag.models import parse_spec

    provider, name, endpoint = (provider or "").strip(), (name or "").strip(), (endpoint or "").strip()
    spec = provider if provider == "fake" and not name else f"{provider}:{name}"
    parse_spec(spec)
    out: dict = {"chat_model": spec, "top_k": int(top_k), "context_chars": int(context_chars)}
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(msg("bad_endpoint", lang, url=endpoint), hint=msg("bad_endpoint_hint", lang))
        out["openai_base_url"] = endpoint
    else:
        out["openai_base_url"] = None
    if api_key:
        out["openai_api_key"] = api_key
    elif out["openai_base_url"] != server_endpoint:
        out["openai_api_key"] = None  # never the server's key for a visitor's endpoint
    return out


def ok_html(text: str) -> str:
    return f'<div class="ok-box">{esc(text)}</div>'


def apply(ctx: AppContext, provider, name, endpoint, api_key, top_k, context_chars, current: dict | None, request: gr.Request | None):
    """Returns (overrides state, status html)."""
    lang = lang_of(request)
    try:
        new = overrides_from(provider, name, endpoint, api_key, top_k, context_chars, lang, ctx.base.openai_base_url)
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return current, error_html(p.message, lang, p.hint)
    text = msg("applied", lang, model=new["chat_model"], k=new["top_k"], c=new["context_chars"])
    return new, ok_html(text)


def test_connection(ctx: AppContext, provider, name, endpoint, api_key, top_k, context_chars, request: gr.Request | None):
    from langchain_core.messages import HumanMessage

    from rag.models import get_chat_model, translate_model_error

    lang = lang_of(request)
    try:
        new = overrides_from(provider, name, endpoint, api_key, top_k, context_chars, lang, ctx.base.openai_base_url)
        s = ctx.settings_for(new)
        extra = {} if new["chat_model"].startswith("fake") else {"max_tokens": 8}
        model = get_chat_model(new["chat_model"], settings=s, **extra)
        t0 = time.perf_counter()
        try:
            model.invoke([HumanMessage("Reply with one word: ok")])
        except Exception as exc:  # noqa: BLE001
            err = translate_model_error(exc)
            raise (err or exc) from exc
        return ok_html(msg("connection_ok", lang, model=new["chat_model"], s=time.perf_counter() - t0))
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return error_html(p.message, lang, p.hint)


def debug_search(ctx: AppContext, query: str, mode: str, overrides: dict | None, request: gr.Request | None):
    """Returns (debug rows, status html)."""
    from rag.index.retriever import Context, HybridRetriever

    lang = lang_of(request)
    if not (query or "").strip():
        return gr.skip(), error_html(msg("empty_question", lang), lang)
    try:
        s = ctx.settings_for(overrides)
        retriever = HybridRetriever.from_settings(s, store=ctx.store, mode=mode if mode in MODES else "hybrid")
        contexts = [Context.from_document(d).to_dict() for d in retriever.invoke(query)]
    except Exception as exc:  # noqa: BLE001
        p = problem(exc, lang)
        return gr.skip(), error_html(p.message, lang, p.hint)
    return debug_table(contexts, [], lang), ""
