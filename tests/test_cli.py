"""The CLI: help everywhere, and readable errors instead of tracebacks."""

import pytest
from typer.testing import CliRunner

from rag.cli import app

runner = CliRunner()


@pytest.mark.parametrize("cmd", [[], ["ingest"], ["search"], ["docs"], ["eval"], ["warm"]])
def test_help(cmd):
    res = runner.invoke(app, cmd + ["--help"])
    assert res.exit_code == 0 and "Usage" in res.output


def test_search_on_empty_store_says_what_to_do(settings):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "rag.cli", "search", "退役军人"], capture_output=True, text=True)
    assert res.returncode == 1
    assert "empty" in res.stderr and "rag ingest" in res.stderr and "Traceback" not in res.stderr


def test_search_json(article_settings):
    import json

    res = runner.invoke(app, ["search", "化辛小区", "--json", "-k", "2"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) == 2 and "化辛小区" in rows[0]["text"]


def test_search_and_docs_print_no_terminal_escapes_from_documents(settings, tmp_path):
    from rag.ingest import ingest

    doc = tmp_path / "evil.txt"
    doc.write_text("# 通知\n\n星河社区\x1b[31m共有居民[bold]3200名[/bold]\u202e。\n", encoding="utf-8")
    ingest([doc], settings)
    res = CliRunner().invoke(app, ["search", "星河社区居民"])
    assert res.exit_code == 0, res.output
    assert "\x1b[31m" not in res.output and "\u202e" not in res.output
    assert "[bold]3200名[/bold]" in res.output  # markup in a document is text, not style
    res = CliRunner().invoke(app, ["docs"])
    assert res.exit_code == 0 and "evil" in res.output


def test_warm_with_a_remote_or_fake_model_says_there_is_nothing_to_save(settings, monkeypatch):
    monkeypatch.setenv("RAG_CHAT_MODEL", "fake")
    from rag.settings import get_settings

    get_settings.cache_clear()
    res = runner.invoke(app, ["warm"])
    assert res.exit_code == 0 and "nothing to save" in res.output
