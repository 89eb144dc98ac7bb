"""The HTTP API: ``create_api(settings)`` builds the FastAPI app (with the UI at ``/ui``); ``rag serve`` runs it."""

from .app import create_api

__all__ = ["create_api"]
