"""Chat models, chosen by one "provider:model" string, through a small registry.

``get_chat_model(spec)`` returns a LangChain ``BaseChatModel`` built by the factory the
provider registered (the pattern of simonw/llm's plugin registry)::

    local:<name>     llama.cpp in this process (rag.models.local)
    openai:<model>   any OpenAI-compatible server (rag.models.remote)
    fake[:<any>]     the scriptable FakeChatModel shipped for tests and demos (rag.models.fake)

A new provider is one ``registry.register(name, usage, factory)`` call; a factory takes
``(model name, settings, overrides)``. Like pydantic-ai's ``override``, tests switch the
model with ``registry.override(FakeChatModel([...]))`` and block real providers with
``registry.requests_allowed(False)`` -- both context managers on the registry object,
which ``tests/conftest.py`` applies as fixtures. Shortcut: that state is one object per
process (not per thread), so it reaches the UI's worker threads too.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel

from rag.errors import ConfigError
from rag.settings import Settings, get_settings
from rag.text import estimate_tokens

Factory = Callable[[str, Settings, dict[str, Any]], BaseChatModel]


@dataclass(frozen=True)
class Provider:
    name: str
    usage: str  # how a spec for it is written, shown in errors
    factory: Factory
    name_required: bool = True
    # True when, with these settings, the provider sends nothing off the machine and loads no
    # real model (allowed while requests are blocked)
    harmless: Callable[[Settings], bool] = lambda settings: False


class ChatModelRegistry:
    def __init__(self) -> None:
        self._providers: dict[str, Provider] = {}
        self._override: BaseChatModel | None = None
        self._allow_requests = True

    # -- providers ----------------------------------------------------------------------------
    def register(self, provider: Provider) -> None:
        self._providers[provider.name] = provider

    @property
    def names(self) -> list[str]:
        return list(self._providers)

    def parse(self, spec: str) -> tuple[str, str]:
        """Split ``"provider:model"``; raise ``ConfigError`` naming the valid providers."""
        provider, _, name = spec.strip().partition(":")
        provider, name = provider.strip().lower(), name.strip()
        known = self._providers.get(provider)
        if known is not None and (name or not known.name_required):
            return provider, name
        usages = ", ".join(p.usage for p in self._providers.values())
        raise ConfigError(
            f"unknown chat model {spec!r}: valid providers are {', '.join(self._providers)}",
            hint=f"set RAG_CHAT_MODEL to one of {usages}, e.g. openai:gpt-4o-mini",
        )

    def get(self, spec: str | None = None, settings: Settings | None = None, **overrides: Any) -> BaseChatModel:
        """Build the chat model for ``spec`` (default ``settings.chat_model``).

        ``overrides`` are constructor fields of the chosen class (e.g. ``max_tokens=50``,
        or ``replies=[...]`` for the fake) and win over settings.
        """
        settings = settings or get_settings()
        if self._override is not None and (spec is None or spec.split(":")[0].strip().lower() == "fake"):
            return self._override
        provider, name = self.parse(settings.chat_model if spec is None else spec)
        entry = self._providers[provider]
        if not self._allow_requests and not entry.harmless(settings):
            raise ConfigError(
                f"model requests are blocked (registry.requests_allowed(False)): refusing {provider}:{name}",
                hint="in tests use the fake provider (registry.override) or a fake server on 127.0.0.1",
            )
        return entry.factory(name, settings, overrides)

    # -- test switches ------------------------------------------------------------------------
    @property
    def overridden(self) -> BaseChatModel | None:
        return self._override

    @contextlib.contextmanager
    def override(self, model: BaseChatModel) -> Iterator[BaseChatModel]:
        """While active, ``get()`` with no spec (or a ``fake`` spec) returns ``model``, and real
        providers are blocked."""
        saved = self._override, self._allow_requests
        self._override, self._allow_requests = model, False
        try:
            yield model
        finally:
            self._override, self._allow_requests = saved

    @contextlib.contextmanager
    def requests_allowed(self, allowed: bool) -> Iterator[None]:
        saved = self._allow_requests
        self._allow_requests = allowed
        try:
            yield
        finally:
            self._allow_requests = saved


def _build_fake(name: str, settings: Settings, overrides: dict[str, Any]) -> BaseChatModel:
    from rag.models.fake import FakeChatModel

    return FakeChatModel(**overrides)


def _build_local(name: str, settings: Settings, overrides: dict[str, Any]) -> BaseChatModel:
    from rag.models import local

    return local.build(name, settings, overrides)


def _build_openai(name: str, settings: Settings, overrides: dict[str, Any]) -> BaseChatModel:
    from rag.models import remote

    return remote.build(name, settings, overrides)


def _openai_harmless(settings: Settings) -> bool:
    from rag.models import remote

    return remote.stays_on_machine(settings)


registry = ChatModelRegistry()
registry.register(Provider("local", "local:<gguf name or path>", _build_local))
registry.register(Provider("openai", "openai:<model>", _build_openai, harmless=_openai_harmless))
registry.register(Provider("fake", "fake[:<anything>]", _build_fake, name_required=False, harmless=lambda s: True))


def structured(llm: BaseChatModel, schema: dict) -> BaseChatModel:
    """``llm`` bound to answer in JSON following ``schema``: llama.cpp turns the schema into a
    grammar, an OpenAI-compatible server gets ``response_format`` with the schema (a server that
    ignores it may still answer prose, which the caller reads as prose); other models as they are."""
    from rag.models.local import LocalLlamaChat

    if isinstance(llm, LocalLlamaChat):
        return llm.bind(response_format={"type": "json_object", "schema": schema})
    try:
        from langchain_openai import ChatOpenAI
    except ImportError:  # pragma: no cover - a declared dependency
        return llm
    if isinstance(llm, ChatOpenAI):
        return llm.bind(response_format={"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}})
    return llm


def token_counter(llm: BaseChatModel):
    """``text -> tokens`` for ``llm``: the local model's own tokenizer, else an estimate close to
    Qwen's (LangChain's default ``get_num_tokens`` would download a GPT-2 tokenizer)."""
    from rag.models.local import LocalLlamaChat

    if isinstance(llm, LocalLlamaChat):
        return llm.get_num_tokens
    return estimate_tokens
