"""Provider exceptions -> one readable ``ModelError`` (the messages live in ``rag.errors``' style).

``model_errors()`` wraps any model call (``with model_errors(): ...``, also around a
streaming loop): a ``RagError`` passes through, a provider failure (timeout, refused
connection, bad key, 404, 429, a reply that is not a chat completion) becomes a
``ModelError`` with a hint, and anything else -- a bug -- is re-raised as it is.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import openai
import pydantic

from rag.errors import ModelError, RagError


@contextlib.contextmanager
def model_errors() -> Iterator[None]:
    try:
        yield
    except RagError:
        raise
    except Exception as exc:  # noqa: BLE001 - provider errors become one readable ModelError
        err = translate_model_error(exc)
        if err is None:
            raise
        raise err from exc


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


