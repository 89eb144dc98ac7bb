"""The bundled local chat model: a GGUF file run in this process by llama-cpp-python.

``build(name, settings, overrides)`` is the ``local`` provider's factory. The default
name is the bundled Qwen2.5-Coder-1.5B-Instruct GGUF, joined on first use by
``rag.models.files``; any other name is ``<models_dir>/<name>.gguf`` or a path to a
``.gguf`` file.

Shortcuts: a loaded ``Llama`` is cached per (path, n_ctx, threads) for the whole process,
and one process-wide lock lets only one local generation run at a time (llama.cpp contexts
are not thread-safe, and 2 cores gain nothing from parallel decoding). Before each call the
saved KV state sharing the longest start with the prompt is restored (``prefixes``); the
prompt's tokens for that are the GGUF chat template's, rendered here the way llama-cpp-python
renders them (a model it formats otherwise is never restored).
"""

from __future__ import annotations

import atexit
import ctypes
import functools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.chat_models import generate_from_stream
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk, ChatResult

from rag.errors import ConfigError, ModelError
from rag.models import files, prefixes
from rag.settings import Settings

DEFAULT_LOCAL = Path(files.MODEL_FILENAME).stem


def build(name: str, settings: Settings, overrides: dict[str, Any]) -> BaseChatModel:
    params = {
        "model_path": str(model_path(name, settings)),
        "n_ctx": settings.llm_ctx,
        "n_threads": settings.llm_threads,
        "max_tokens": settings.llm_max_tokens,
        "temperature": settings.temperature,
        "prefix_dir": str(settings.data_dir / "cache" / "prefixes") if settings.prefix_cache_mb > 0 else None,
        "prefix_capacity_mb": settings.prefix_cache_mb,
    }
    return LocalLlamaChat(**{**params, **overrides})


def model_path(name: str, settings: Settings) -> Path:
    if name == DEFAULT_LOCAL:
        return files.ensure_local_model(settings)
    for path in (Path(name).expanduser(), settings.models_dir / f"{name}.gguf"):
        if path.suffix == ".gguf" and path.is_file():
            return path
    raise ConfigError(
        f"no local model {name!r}: neither a .gguf file nor {settings.models_dir}/{name}.gguf",
        hint=f"use local:{DEFAULT_LOCAL} (bundled) or put the GGUF file in {settings.models_dir}",
    )


class LocalLlamaChat(BaseChatModel):
    """A GGUF chat model run in-process by llama-cpp-python, with token streaming."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    max_tokens: int = 320
    temperature: float = 0.0
    prefix_dir: str | None = None  # saved KV states of prompt starts (``rag.models.prefixes``); None: off
    prefix_capacity_mb: int = 2048

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "n_ctx": self.n_ctx, "max_tokens": self.max_tokens}

    def get_num_tokens(self, text: str) -> int:
        """Tokens of ``text`` in this model's own vocabulary (LangChain's seam for counting)."""
        llama = _load_llama(self.model_path, self.n_ctx, self.n_threads)
        return len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

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
        prompt = _chat(messages)
        with _LLAMA_LOCK:
            self._restore(llama, prompt)
            _perf_reset(llama)
            try:
                for part in llama.create_chat_completion(
                    messages=prompt,
                    max_tokens=kwargs.get("max_tokens", self.max_tokens),
                    temperature=kwargs.get("temperature", self.temperature),
                    stop=stop or [],
                    stream=True,
                    response_format=kwargs.get("response_format"),  # a JSON schema, enforced by a grammar
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
                yield _usage_chunk(llama)
            except ValueError as exc:  # llama_cpp's error for a prompt longer than n_ctx
                raise ModelError(
                    f"local model failed (does the prompt fit in n_ctx={self.n_ctx} tokens?): {exc}",
                    hint="shorten the context (RAG_CONTEXT_CHARS) or raise RAG_LLM_CTX",
                ) from exc

    def remember(self, messages: list[BaseMessage]) -> Literal["off", "known", "saved", "full"]:
        """Evaluate the prompt of ``messages`` and save its KV state, so later prompts starting
        the same way skip that part (``rag.models.prefixes``). "full": saved, but older states
        were deleted to make room for it."""
        import llama_cpp

        states = self._states()
        llama = _load_llama(self.model_path, self.n_ctx, self.n_threads)
        if states is None or _formatter(llama) is None:
            return "off"
        tokens = _prompt_tokens(llama, _chat(messages))
        if states.has(tokens):
            return "known"
        with _LLAMA_LOCK:
            self._restore(llama, tokens=tokens)
            llama.n_tokens = prefixes.common_prefix(llama._input_ids, tokens)
            llama.eval(tokens[llama.n_tokens :])
            size = llama_cpp.llama_state_seq_get_size(llama.ctx, 0)
            buf = (ctypes.c_uint8 * size)()
            n = llama_cpp.llama_state_seq_get_data(llama.ctx, buf, size, 0)
            return "saved" if states.save(tokens, bytes(buf)[:n]) else "full"

    def _states(self) -> prefixes.PrefixStates | None:
        if not self.prefix_dir:
            return None
        return _prefix_states(self.prefix_dir, Path(self.model_path).name, self.prefix_capacity_mb)

    def _restore(self, llama, prompt: list[dict] | None = None, tokens=None) -> None:
        """Put in llama.cpp's context the saved state sharing the longest start with the prompt,
        when it shares more than the context holds now (call with the lock held)."""
        import llama_cpp

        states = self._states()
        if states is None or not states.index or _formatter(llama) is None:
            return
        tokens = np.asarray(tokens if tokens is not None else _prompt_tokens(llama, prompt), dtype=np.int32)
        path, length = states.longest(tokens)
        if path is None or length <= prefixes.common_prefix(llama._input_ids, tokens) + _MIN_GAIN:
            return
        loaded = states.load(path)
        if loaded is None:
            return
        key, state = loaded
        llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), 0, -1, -1)
        buf = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if llama_cpp.llama_state_seq_set_data(llama.ctx, buf, len(state), 0) != len(state):
            states.drop(path)
            llama.reset()
            llama_cpp.llama_memory_seq_rm(llama_cpp.llama_get_memory(llama.ctx), 0, -1, -1)
            return
        llama.input_ids[: len(key)] = key
        llama.n_tokens = len(key)


_LLAMA_LOCK = threading.Lock()
_MIN_GAIN = 16  # tokens a saved state must add to what the context holds to be worth loading


@functools.lru_cache(maxsize=4)
def _prefix_states(folder: str, model: str, capacity_mb: int) -> prefixes.PrefixStates:
    """One index per (folder, model, llama.cpp build): a state is only valid for both."""
    import llama_cpp

    return prefixes.PrefixStates(Path(folder) / f"{model}-{llama_cpp.__version__}", capacity_mb << 20)


@functools.lru_cache(maxsize=2)
def _formatter(llama):
    """The chat template ``create_chat_completion`` applies, when it is the GGUF's own (None for a
    model llama-cpp-python formats otherwise: its prompts are then never restored)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    if llama.chat_handler is not None or llama.chat_format != "chat_template.default":
        return None

    def text(token: int) -> str:
        return llama.detokenize([token], special=True).decode("utf-8", "replace") if token != -1 else ""

    return Jinja2ChatFormatter(
        template=llama.metadata["tokenizer.chat_template"], eos_token=text(llama.token_eos()),
        bos_token=text(llama.token_bos()), stop_token_ids=[llama.token_eos()],
    )


def _chat(messages: list[BaseMessage]) -> list[dict]:
    """LangChain messages as llama-cpp-python's chat messages."""
    roles = {"system": "system", "human": "user", "ai": "assistant"}
    return [{"role": roles[m.type], "content": m.text} for m in messages]


def _prompt_tokens(llama, prompt: list[dict]) -> list[int]:
    """The tokens ``create_chat_completion`` evaluates for ``prompt``: the GGUF's chat template,
    tokenized as llama-cpp-python's chat handler does."""
    result = _formatter(llama)(messages=prompt)
    return llama.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)


def _perf_reset(llama) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llama.ctx)


def _usage_chunk(llama) -> ChatGenerationChunk:
    """An empty last chunk carrying what the call cost, from llama.cpp's own counters: prompt
    tokens (``cache_read`` = the prefix reused from the previous call, not evaluated again),
    generated tokens, and the seconds spent evaluating each (``prefill_s``, ``generate_s``)."""
    import llama_cpp

    perf = llama_cpp.llama_perf_context(llama.ctx)
    prompt = max(0, llama.n_tokens - perf.n_eval)  # the context holds the prompt, then what was generated
    usage = {
        "input_tokens": prompt,
        "output_tokens": perf.n_eval,
        "total_tokens": prompt + perf.n_eval,
        "input_token_details": {"cache_read": max(0, prompt - perf.n_p_eval)},
    }
    timing = {"prefill_s": round(perf.t_p_eval_ms / 1000, 3), "generate_s": round(perf.t_eval_ms / 1000, 3)}
    return ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage, response_metadata=timing))


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


atexit.register(_release_models)
