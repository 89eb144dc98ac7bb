"""The web interface (Gradio): chat with visible sources, section summaries, documents.

``create_app(settings)`` builds the app without serving it; ``launch(app, host, port,
auth)`` serves it (``rag ui`` does both). ``ui/app.py`` puts the tabs together; each tab is built by ``ui/tabs_*.py`` and its logic lives in ``ui/<tab>.py``.
"""

from .app import create_app, launch

__all__ = ["create_app", "launch"]
