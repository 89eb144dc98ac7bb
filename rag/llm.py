"""Chat models, chosen by one "provider:model" string.

``get_chat_model(spec)`` returns a LangChain ``BaseChatModel``:

- ``local:<name>``   llama.cpp in this process (``LocalLlamaChat``). The default name is the
  bundled Qwen2.5-Coder-1.5B GGUF, joined on first use by ``rag.model_files``; any other
  name is ``<models_dir>/<name>.gguf`` or a path to a ``.gguf`` file.
- ``openai:<model>`` any OpenAI-compatible server (OpenAI, DeepSeek, Ollama, vLLM,
  llama.cpp server) via ``ChatOpenAI`` and ``RAG_OPENAI_BASE_URL`` / ``RAG_OPENAI_API_KEY``.
- ``fake[:<anything>]`` the scriptable ``rag.testing.FakeChatModel``.

``translate_model_error(exc)`` turns provider exceptions into a ``ModelError`` with a hint.
Set ``ALLOW_MODEL_REQUESTS = False`` (tests do) to refuse the local model and non-loopback
endpoints, like pydantic-ai's flag of the same name.

Shortcuts: a loaded ``Llama`` is cached per (path, n_ctx, threads) for the whole process,
and one process-wide lock lets only one local generation run at a time (llama.cpp contexts
are not thread-safe, and 2 cores gain nothing from parallel decoding).
"""

from __future__ import annotations

import atexit
import functools
import ipaddress
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openai
import pydantic
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from rag import model_files, testing
from rag.errors import ConfigError, ModelError, RagError
from rag.settings import Settings, get_settings

ALLOW_MODEL_REQUESTS = True

PROVIDERS = {
    "local": "local:<gguf name or path>",
    "openai": "openai:<model>",
    "fake": "fake[:<anything>]",
}
DEFAULT_LOCAL = Path(model_files.MODEL_FILENAME).stem
_SPEC_HINT = (
    f"set RAG_CHAT_MODEL to one of {', '.join(PROVIDERS.values())}, "
    f"e.g. local:{DEFAULT_LOCAL} or openai:gpt-4o-mini"
)


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``"provider:model"``; raise ``ConfigError`` naming the valid providers."""
    provider, _, name = spec.strip().partition(":")
    provider, name = provider.strip().lower(), name.strip()
    if provider == "fake" or (provider in PROVIDERS and name):
        return provider, name
    raise ConfigError(
        f"unknown chat model {spec!r}: valid providers are {', '.join(PROVIDERS)}",
        hint=_SPEC_HINT,
    )


def get_chat_model(
    spec: str | None = None, settings: Settings | None = None, **overrides: Any
) -> BaseChatModel:
    """Build the chat model for ``spec`` (default ``settings.chat_model``).

    ``overrides`` are constructor fields of the chosen class (e.g. ``max_tokens=50``,
    ``temperature=0.7``, or ``replies=[...]`` for the fake) and win over settings.
    """
    settings = settings or get_settings()
    if testing.active_fake is not None and (spec is None or spec.split(":")[0].strip() == "fake"):
        return testing.active_fake
    spec = settings.chat_model if spec is None else spec
    provider, name = parse_spec(spec)

    if provider == "fake":
        return testing.FakeChatModel(**overrides)

    if provider == "openai":
        if not ALLOW_MODEL_REQUESTS and not _is_loopback(settings.openai_base_url):
            raise ConfigError(
                f"model requests are blocked (rag.llm.ALLOW_MODEL_REQUESTS=False): "
                f"refusing {spec} at {settings.openai_base_url or 'OpenAI'}",
                hint="in tests use the fake provider or a fake server on 127.0.0.1",
            )
        from langchain_openai import ChatOpenAI

        params: dict[str, Any] = {
            "model": name,
            "base_url": settings.openai_base_url,
            "api_key": settings.openai_api_key or "not-needed",
            "timeout": settings.request_timeout,
            "max_retries": settings.max_retries,
            "temperature": settings.temperature,
            "max_tokens": settings.llm_max_tokens,
        }
        return ChatOpenAI(**{**params, **overrides})

    if not ALLOW_MODEL_REQUESTS:
        raise ConfigError(
            f"model requests are blocked (rag.llm.ALLOW_MODEL_REQUESTS=False): refusing local:{name}",
            hint="in tests use the fake provider (rag.testing.use_fake_chat_model)",
        )
    params = {
        "model_path": str(_local_model_path(name, settings)),
        "n_ctx": settings.llm_ctx,
        "n_threads": settings.llm_threads,
        "max_tokens": settings.llm_max_tokens,
        "temperature": settings.temperature,
    }
    return LocalLlamaChat(**{**params, **overrides})


def _local_model_path(name: str, settings: Settings) -> Path:
    if name == DEFAULT_LOCAL:
        return model_files.ensure_local_model(settings)
    for path in (Path(name).expanduser(), settings.models_dir / f"{name}.gguf"):
        if path.suffix == ".gguf" and path.is_file():
            return path
    raise ConfigError(
        f"no local model {name!r}: neither a .gguf file nor {settings.models_dir}/{name}.gguf",
        hint=f"use local:{DEFAULT_LOCAL} (bundled) or put the GGUF file in {settings.models_dir}",
    )


def _is_loopback(base_url: str | None) -> bool:
    host = urlsplit(base_url).hostname if base_url else None
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class LocalLlamaChat(BaseChatModel):
    """A GGUF chat model run in-process by llama-cpp-python, with token streaming."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 320
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama = _load_llama(self.model_path, self.n_ctx, self.n_threads)
        roles = {"system": "system", "human": "user", "ai": "assistant"}
        prompt = [{"role": roles[m.type], "content": m.text} for m in messages]
        with _LLAMA_LOCK:
            try:
                for part in llama.create_chat_completion(
                    messages=prompt,
                    max_tokens=kwargs.get("max_tokens", self.max_tokens),
                    temperature=kwargs.get("temperature", self.temperature),
                    stop=stop or [],
                    stream=True,
                ):
                    choice = part["choices"][0]
                    text, finish = choice["delta"].get("content") or "", choice["finish_reason"]
                    if not text and not finish:
                        continue
                    chunk = ChatGenerationChunk(
                        message=AIMessageChunk(content=text),
                        generation_info={"finish_reason": finish} if finish else None,
                    )
                    if run_manager and text:
                        run_manager.on_llm_new_token(text, chunk=chunk)
                    yield chunk
            except ValueError as exc:  # llama_cpp's error for a prompt longer than n_ctx
                raise ModelError(
                    f"local model failed (does the prompt fit in n_ctx={self.n_ctx} tokens?): {exc}",
                    hint="shorten the context (RAG_CONTEXT_CHARS) or raise RAG_LLM_CTX",
                ) from exc


_LLAMA_LOCK = threading.Lock()


def _release_models() -> None:
    """Free cached models before interpreter shutdown (llama_cpp's __del__ fails after it)."""
    _load_llama.cache_clear()


@functools.lru_cache(maxsize=2)
def _load_llama(path: str, n_ctx: int, n_threads: int):
    from llama_cpp import Llama

    try:
        return Llama(
            model_path=path,
            n_ctx=n_ctx,
            n_threads=n_threads,
            n_threads_batch=n_threads,
            verbose=False,
        )
    except ValueError as exc:
        raise ModelError(
            f"cannot load local model {path}: {exc}",
            hint="delete the file so it is rebuilt, or check RAG_CHAT_MODEL / RAG_LLM_CTX",
        ) from exc


def translate_model_error(exc: BaseException) -> RagError | None:
    """Map a provider exception to a user-facing ``ModelError``; ``None`` if it is not one."""
    if isinstance(exc, RagError):
        return exc
    request = getattr(exc, "request", None)
    where = f"the model server at {request.url}" if request is not None else "the model server"
    url_hint = "check RAG_OPENAI_BASE_URL (it usually ends in /v1) and that the server is running"

    if isinstance(exc, openai.APITimeoutError):
        return ModelError(
            f"{where} did not answer in time",
            hint="the server may be overloaded or the model too slow: raise RAG_REQUEST_TIMEOUT "
            "or use a smaller model",
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelError(f"cannot reach {where}", hint=url_hint)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelError(
            f"{where} refused the API key (HTTP {exc.status_code})",
            hint="check RAG_OPENAI_API_KEY",
        )
    if isinstance(exc, openai.NotFoundError):
        return ModelError(
            f"{where} answered 404 Not Found: {exc.message}",
            hint="check the model name in RAG_CHAT_MODEL (openai:<model>); " + url_hint,
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelError(
            f"{where} is rate limiting (HTTP 429)",
            hint="wait and retry, or raise RAG_MAX_RETRIES",
        )
    if isinstance(exc, openai.BadRequestError):
        return ModelError(
            f"{where} rejected the request (HTTP 400): {exc.message}",
            hint="the prompt may exceed the model's context: lower RAG_CONTEXT_CHARS",
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelError(
            f"{where} failed with HTTP {exc.status_code}: {exc.message}",
            hint="look at the model server's log; retry later",
        )
    if isinstance(
        exc, openai.APIResponseValidationError | pydantic.ValidationError | json.JSONDecodeError
    ) or (
        isinstance(exc, TypeError | ValueError | KeyError | AttributeError) and _from_client(exc)
    ):
        return ModelError(
            f"{where} sent a reply that is not a valid OpenAI chat completion: {exc!s:.300}",
            hint="check that RAG_OPENAI_BASE_URL points at an OpenAI-compatible API (…/v1)",
        )
    return None


def _from_client(exc: BaseException) -> bool:
    """True if ``exc`` was raised inside openai / langchain_openai (a reply they could not
    parse: null ``choices``, HTML, wrong types) rather than in our own code (a bug)."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
    return module.split(".")[0] in ("openai", "langchain_openai")


atexit.register(_release_models)
