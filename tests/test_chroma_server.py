"""Client/server mode against a real `chroma run` server started by the test."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.errors import StoreError
from rag.index.retriever import HybridRetriever
from rag.index.store import Store
from rag.ingest import ingest
from rag.settings import Settings

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path):
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start")
    yield proc, port
    proc.kill()
    proc.wait()


def test_ingest_and_search_against_a_chroma_server(chroma_server, tmp_path, article_text):
    proc, port = chroma_server
    p = tmp_path / "article.txt"
    p.write_text(article_text, encoding="utf-8")
    s = Settings(data_dir=tmp_path / "local", chroma_host="127.0.0.1", chroma_port=port)
    report = ingest([p], s)
    assert report.embedded == report.chunks_total
    assert ingest([p], s).embedded == 0
    # a second client process (its own local lexical dir) sees the same data
    s2 = Settings(data_dir=tmp_path / "other", chroma_host="127.0.0.1", chroma_port=port)
    docs = HybridRetriever.from_settings(s2, k=3).invoke("化辛小区是哪两个村的回迁安置小区")
    assert "化营、辛庄" in docs[0].page_content
    assert not (tmp_path / "local" / "chroma").exists()

    proc.kill()
    proc.wait()
    with pytest.raises(StoreError, match="Chroma"):
        Store(s2).count()


def test_server_down_is_a_clear_error(tmp_path):
    s = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError) as err:
        Store(s).count()
    assert "chroma run" in err.value.hint
