"""Scale-out for real (issue 13, docs/deploy.md): one ``chroma run``, one ``llama_cpp.server`` with the
bundled GGUF and two stateless ``rag serve`` workers, all on loopback. A document is ingested
through worker 1 and a question about it answered, with a checked citation, through worker 2
(which never saw the ingest: it finds the document through Chroma and rebuilds its BM25 index
from it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.models.files import ensure_local_model
from rag.settings import Settings, default_data_dir
from tests.conftest import ARTICLE
from tests.test_chroma_server import free_port

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args[:3]} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not come up")


@pytest.fixture
def cluster(tmp_path, real_models):
    procs = []

    def start(args, env=None, log="x"):
        out = open(tmp_path / f"{log}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        procs.append(proc)
        return proc

    chroma_port, model_port = free_port(), free_port()
    chroma = start([str(BIN / "chroma"), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
                    "--port", str(chroma_port)], log="chroma")
    gguf = ensure_local_model(Settings(data_dir=default_data_dir()))
    model = start([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "qwen",
                   "--host", "127.0.0.1", "--port", str(model_port), "--n_ctx", "4096", "--n_threads", "2"], log="model")
    wait_for(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma)
    wait_for(f"http://127.0.0.1:{model_port}/v1/models", model)
    workers = []
    for n in (1, 2):
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env.update({
            "RAG_DATA_DIR": str(tmp_path / f"worker{n}"),  # its own BM25 copy; nothing else is local
            "RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port),
            "RAG_CHAT_MODEL": "openai:qwen", "RAG_OPENAI_BASE_URL": f"http://127.0.0.1:{model_port}/v1",
            "RAG_MODEL_CONCURRENCY": "1", "RAG_REQUEST_TIMEOUT": "300",
        })
        proc = start([str(BIN / "rag"), "serve", "--no-ui", "--port", str(port)], env=env, log=f"worker{n}")
        wait_for(f"http://127.0.0.1:{port}/healthz", proc)
        workers.append(f"http://127.0.0.1:{port}")
    yield workers
    for proc in procs:
        proc.kill()
        proc.wait()


def test_ingest_through_one_worker_and_answer_through_the_other(cluster):
    one, two = cluster
    with open(ARTICLE, "rb") as f:
        added = httpx.post(f"{one}/v1/documents", files={"file": ("article.txt", f.read())}, timeout=600)
    assert added.status_code == 201, added.text
    doc_id = added.json()["documents"][0]["doc_id"]
    assert [d["doc_id"] for d in httpx.get(f"{two}/v1/documents").json()] == [doc_id]
    ready = httpx.get(f"{two}/readyz", timeout=30).json()
    assert ready["status"] == "ok", ready
    hits = httpx.post(f"{two}/v1/search", json={"query": "退役军人志愿先锋队", "mode": "bm25"}).json()["results"]
    assert hits and "退役军人" in hits[0]["text"]
    answer = httpx.post(f"{two}/v1/ask", json={"question": "截至3月19日,全区有多少名退役军人加入志愿先锋队?"}, timeout=600).json()
    assert not answer["refused"], answer
    assert "181" in answer["answer"] and any("181" in c["quote"] for c in answer["citations"])
    assert all(c["doc_id"] == doc_id for c in answer["citations"])
