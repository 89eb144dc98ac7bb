"""The HTTP API (issue 13): every endpoint, streaming, auth on and off, limits, errors, scopes,
and the ``openai`` client driving /v1/chat/completions with and without streaming."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from fastapi.testclient import TestClient

from rag.models import registry
from rag.models.fake import FakeChatModel
from tests.test_answer import number_of

QUESTION = "截至3月19日,全区有多少名退役军人加入志愿先锋队?"
TOKEN = "t0ken-for-tests-0123456789"


def reply(msgs):
    text = msgs[-1].content
    if "181名退役军人" in text:
        return f"截至3月19日,全区已有181名退役军人加入志愿先锋队[{number_of(msgs, '181名退役军人')}]。"
    return "资料中没有相关信息。"


@pytest.fixture
def client(article_settings):
    from api import create_api

    with registry.override(FakeChatModel(reply)):
        with TestClient(create_api(article_settings, ui=False)) as c:
            yield c


def sse_events(text: str) -> list[dict]:
    return [json.loads(line[5:].strip()) for line in text.splitlines() if line.startswith("data:") and line[5:].strip() != "[DONE]"]


def test_health_ready_and_schema(client):
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    ready = client.get("/readyz")
    assert ready.json()["checks"]["store"].startswith("ok") and ready.json()["checks"]["index"].startswith("ok")
    schema = client.get("/openapi.json").json()
    for path in ("/v1/documents", "/v1/documents/{doc_id}", "/v1/search", "/v1/ask", "/v1/summaries", "/v1/chat/completions"):
        assert path in schema["paths"], path
    assert "multipart/form-data" in schema["paths"]["/v1/documents"]["post"]["requestBody"]["content"]


def test_ask_as_json_and_as_server_sent_events(client):
    answer = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert not answer["refused"] and "181" in answer["answer"] and answer["citations"][0]["quote"]
    streamed = client.post("/v1/ask", json={"question": QUESTION, "stream": True})
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = sse_events(streamed.text)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "sources_found" and "sentence" in kinds and kinds[-1] == "done"
    assert events[-1]["answer"]["answer"] == answer["answer"]


def test_refusal_and_errors_are_json_with_the_clis_messages(client):
    refused = client.post("/v1/ask", json={"question": "月球上有多少座城市?"}).json()
    assert refused["refused"] and refused["refusal_reason"]
    too_long = client.post("/v1/ask", json={"question": "长" * 5000})
    assert too_long.status_code == 400 and "limit" in too_long.json()["error"]["message"]
    assert client.post("/v1/ask", json={}).status_code == 422
    assert client.post("/v1/ask", content=b"not json", headers={"content-type": "application/json"}).status_code == 422
    missing = client.get("/v1/documents/nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    scoped = client.post("/v1/search", json={"query": "退役军人", "doc_ids": ["nope"]})
    assert scoped.status_code == 400 and "no such document: nope" in scoped.json()["error"]["message"]


def test_documents_add_list_read_scope_and_delete(client):
    text = "# 南湖公园\n\n南湖公园的荷花节共有三千名游客到场。\n"
    added = client.post("/v1/documents", json={"text": text, "title": "荷花节"})
    assert added.status_code == 201, added.text
    doc_id = added.json()["documents"][0]["doc_id"]
    again = client.post("/v1/documents", files={"file": ("other-name.md", text.encode())})
    assert again.status_code == 201 and again.json()["duplicate_of"] == doc_id  # the same text, not stored twice
    ids = [d["doc_id"] for d in client.get("/v1/documents").json()]
    assert doc_id in ids and len(ids) == 2
    assert "三千名游客" in client.get(f"/v1/documents/{doc_id}").json()["text"]
    only = client.post("/v1/search", json={"query": "荷花节游客 退役军人", "doc_ids": [doc_id]}).json()["results"]
    assert only and {r["doc_id"] for r in only} == {doc_id}
    other = [i for i in ids if i != doc_id][0]
    rest = client.post("/v1/search", json={"query": "荷花节游客", "doc_ids": [other]}).json()["results"]
    assert all(r["doc_id"] == other for r in rest)
    gone = client.delete(f"/v1/documents/{doc_id}")
    assert gone.status_code == 200 and gone.json()["chunks"] >= 1
    assert client.delete(f"/v1/documents/{doc_id}").status_code == 404
    bad = client.post("/v1/documents", files={"file": ("x.exe", b"\x00\x01binary")})
    assert bad.status_code == 400 and "x.exe" in bad.json()["error"]["message"]


def test_tokens_rate_limit_size_and_the_access_log(article_settings, caplog):
    from api import create_api

    s = article_settings.model_copy(update={"api_tokens": TOKEN, "api_rate_per_minute": 3, "max_file_mb": 0.01})
    with registry.override(FakeChatModel(reply)), TestClient(create_api(s, ui=False)) as c:
        assert c.get("/healthz").status_code == 200  # open
        assert c.get("/v1/documents").status_code == 401
        assert c.get("/v1/documents", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}", "X-Request-ID": "req-42"}
        with caplog.at_level(logging.INFO, logger="rag.access"):
            ok = c.get("/v1/documents", headers=auth)
        assert ok.status_code == 200 and ok.headers["x-request-id"] == "req-42"
        line = json.loads(caplog.records[-1].getMessage())
        assert line["request_id"] == "req-42" and line["status"] == 200 and line["token"] and TOKEN not in caplog.text
        big = c.post("/v1/documents", headers=auth, files={"file": ("big.txt", "大" * 20000)})
        assert big.status_code == 413
        codes = [c.get("/v1/documents", headers=auth).status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # 3 a minute
        limited = c.get("/v1/documents", headers=auth)
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1


def test_short_tokens_are_refused(article_settings):
    from api import create_api
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match="16 characters"):
        create_api(article_settings.model_copy(update={"api_tokens": "short"}), ui=False)


def test_openai_client_drives_chat_completions_with_and_without_streaming(client):
    import openai

    oa = openai.OpenAI(base_url="http://testserver/v1", api_key="unused", http_client=client)
    messages = [{"role": "user", "content": QUESTION}]
    done = oa.chat.completions.create(model="rag-news", messages=messages)
    text = done.choices[0].message.content
    assert "181" in text and "[" in text
    assert done.model_extra["citations"][0]["quote"] and done.model_extra["refused"] is False
    pieces, last = [], None
    for chunk in oa.chat.completions.create(model="rag-news", messages=messages, stream=True):
        pieces.append(chunk.choices[0].delta.content or "")
        last = chunk
    assert "".join(pieces) == text and last.choices[0].finish_reason == "stop" and last.model_extra["citations"]
    assert [m.id for m in oa.models.list()] == ["rag-news"]


def test_search_and_uploads_do_not_wait_for_a_busy_model(client):
    from rag.models.queue import shared_queue

    queue = shared_queue(1)
    ticket = queue.enter()
    for _ in queue.wait(ticket):
        pass
    try:  # the model is busy: searching and reading still answer
        assert client.post("/v1/search", json={"query": "退役军人"}).status_code == 200
        assert client.get("/v1/documents").status_code == 200
        got = {}
        asker = threading.Thread(target=lambda: got.update(r=client.post("/v1/ask", json={"question": QUESTION, "stream": True})))
        asker.start()
        asker.join(1.5)
        assert asker.is_alive()  # the answer waits its turn
    finally:
        queue.leave(ticket)
    asker.join(30)
    kinds = [e["type"] for e in sse_events(got["r"].text)]
    assert "queued" in kinds and kinds.index("sources_found") < kinds.index("queued")  # sources came at once


def test_the_web_ui_is_served_at_ui_beside_the_api(article_settings):
    from api import create_api

    with TestClient(create_api(article_settings)) as c:
        root = c.get("/", follow_redirects=False)
        assert root.status_code in (302, 307) and root.headers["location"] == "/ui/"
        page = c.get("/ui/")
        assert page.status_code == 200 and "<html" in page.text.lower()
        assert c.get("/healthz").status_code == 200  # the API beside it


def test_rag_serve_needs_tokens_and_a_ui_login_beyond_loopback(monkeypatch, tmp_path):
    import uvicorn
    from typer.testing import CliRunner

    from rag.cli import app as cli
    from rag.settings import get_settings

    def invoke(args, env):
        get_settings.cache_clear()  # one process per command in real use
        return CliRunner().invoke(cli, args, env=env)

    served = []
    monkeypatch.setattr(uvicorn, "run", lambda api, **kw: served.append((api, kw)))
    monkeypatch.setattr("api.app.warm_up", lambda api: None)
    env = {"RAG_DATA_DIR": str(tmp_path)}
    res = invoke(["serve", "--no-ui"], env=env)
    assert res.exit_code == 0 and served[-1][1]["host"] == "127.0.0.1"  # loopback: open is fine
    res = invoke(["serve", "--host", "0.0.0.0", "--no-ui"], env=env)
    assert res.exit_code == 2 and "RAG_API_TOKENS" in res.output and len(served) == 1
    tokens = {**env, "RAG_API_TOKENS": TOKEN}
    res = invoke(["serve", "--host", "0.0.0.0"], env=tokens)
    assert res.exit_code == 2 and "RAG_UI_AUTH" in res.output and len(served) == 1  # the UI would be open
    res = invoke(["serve", "--host", "0.0.0.0"], env={**tokens, "RAG_UI_AUTH": "ed:a-long-password"})
    assert res.exit_code == 0 and served[-1][1]["host"] == "0.0.0.0"
    res = invoke(["serve", "--host", "0.0.0.0", "--no-ui"], env={**env, "RAG_API_TOKENS": "short"})
    assert res.exit_code == 1 and "16 characters" in str(res.exception)  # main() prints it as a clean error
