"""The web interface (Gradio): chat with visible sources, section summaries, documents.

``create_app(settings)`` builds the app without serving it; ``launch(app, host, port,
auth)`` serves it (``rag ui`` does both). See ``ui/app.py`` for the layout.
"""

from .app import create_app, launch

__all__ = ["create_app", "launch"]
