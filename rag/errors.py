"""User-facing errors, all in one place.

Anything a user can cause (bad file, dead endpoint, wrong model, empty store) is
raised as a ``RagError`` subclass with a message that says what went wrong and a
``hint`` that says what to do. The CLI and the UI print ``str(err)`` and never a
traceback. Everything else is a bug and is allowed to crash loudly.
"""

from __future__ import annotations


class RagError(Exception):
    """Base class: ``message`` for the user, optional ``hint`` for the fix."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class InputError(RagError):
    """A file or path that cannot be ingested."""


class ConfigError(RagError):
    """A setting that does not work (unknown provider, bad model string...)."""


class StoreError(RagError):
    """Chroma or the lexical index is unreachable, empty or inconsistent."""


class ModelMismatchError(StoreError):
    """The collection was built with another embedding model or chunking."""


class ModelError(RagError):
    """A chat or embedding model is missing, dead, slow or answered garbage."""
