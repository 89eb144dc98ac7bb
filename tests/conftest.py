"""Shared fixtures. Unit tests run offline on fakes; real model calls are blocked
(``registry.requests_allowed(False)``) except in tests that take the ``real_models``
fixture (marked ``slow``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "data" / "000_d11b5f0043a94887.txt"


def _clear_rag_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path_factory):
    """Every test gets its own data dir and no RAG_ variables from the outside."""
    _clear_rag_env(monkeypatch)
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    from rag.settings import get_settings

    get_settings.cache_clear()
    from rag.models import registry

    with registry.requests_allowed(False):
        yield
    get_settings.cache_clear()


@pytest.fixture
def real_models():
    """Let this test load the real local model (and reach real endpoints)."""
    from rag.models import registry

    with registry.requests_allowed(True):
        yield


@pytest.fixture
def settings():
    from rag.settings import get_settings

    return get_settings()


@pytest.fixture(scope="session")
def article_text() -> str:
    return ARTICLE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def article_data_dir(tmp_path_factory) -> Path:
    """A data dir with the bundled article ingested once per test session."""
    from rag.ingest import ingest
    from rag.settings import Settings

    data = tmp_path_factory.mktemp("article-store")
    ingest([ARTICLE], Settings(data_dir=data))
    return data


@pytest.fixture
def article_settings(article_data_dir, tmp_path, monkeypatch):
    """Settings pointing at a private copy of the ingested article store."""
    from rag.settings import get_settings

    copy = tmp_path / "store"
    shutil.copytree(article_data_dir, copy)
    monkeypatch.setenv("RAG_DATA_DIR", str(copy))
    get_settings.cache_clear()
    return get_settings()
