"""Chat models: the provider registry, the local model and its files, the fake, error translation.

Everything outside this package asks for a model with ``get_chat_model(spec, settings)``
and wraps calls in ``model_errors()``; see ``registry.py`` for the providers.
"""

from rag.models.errors import model_errors, translate_model_error
from rag.models.registry import ChatModelRegistry, Provider, registry, structured, token_counter

get_chat_model = registry.get
parse_spec = registry.parse

__all__ = [
    "ChatModelRegistry",
    "Provider",
    "get_chat_model",
    "model_errors",
    "parse_spec",
    "registry",
    "structured",
    "token_counter",
    "translate_model_error",
]
