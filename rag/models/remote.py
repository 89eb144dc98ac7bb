"""The ``openai`` provider: any OpenAI-compatible chat server through ``ChatOpenAI``
(built by LangChain's own ``provider:model`` factory, ``init_chat_model``).

OpenAI, DeepSeek, DashScope, Ollama, vLLM and ``python -m llama_cpp.server`` all speak
this API; ``RAG_OPENAI_BASE_URL`` and ``RAG_OPENAI_API_KEY`` say where and with what key.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from langchain_core.language_models import BaseChatModel

from rag.settings import Settings


def build(name: str, settings: Settings, overrides: dict[str, Any]) -> BaseChatModel:
    from langchain.chat_models import init_chat_model

    params: dict[str, Any] = {
        "model": name,
        "base_url": settings.openai_base_url,
        "api_key": settings.openai_api_key or "not-needed",
        "timeout": settings.request_timeout,
        "max_retries": settings.max_retries,
        "temperature": settings.temperature,
        "max_tokens": settings.llm_max_tokens,
    }
    return init_chat_model(model_provider="openai", **{**params, **overrides})


def stays_on_machine(settings: Settings) -> bool:
    """True when the endpoint is on this machine (a test's fake server on 127.0.0.1)."""
    return is_loopback(settings.openai_base_url)


def is_loopback(base_url: str | None) -> bool:
    host = urlsplit(base_url).hostname if base_url else None
    return host is not None and is_loopback_host(host)


def is_loopback_host(host: str) -> bool:
    """``localhost`` or an address of this machine's loopback range (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
