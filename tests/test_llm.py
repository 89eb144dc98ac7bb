"""The chat model factory, the fake model, error translation, and the fake OpenAI server."""

from __future__ import annotations

import socket
import time

import httpx
import numpy as np
import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI, OpenAIEmbeddings

from rag.errors import ConfigError, ModelError
from rag.models import files as model_files
from rag.models import get_chat_model, parse_spec, registry, translate_model_error
from rag.models.fake import FakeChatModel, FakeModelExhausted
from rag.models.local import LocalLlamaChat
from rag.settings import Settings, get_settings
from tests.fake_openai import EMBED_DIM, FakeOpenAI, fake_openai_server

REPLY = "北京是中国的首都。[1]"


# tests/conftest.py gives every test its own RAG_DATA_DIR and blocks real model requests.


@pytest.fixture
def blocked():
    with registry.requests_allowed(False):
        yield


@pytest.fixture
def allowed(real_models):
    yield


@pytest.fixture(scope="module")
def _server():
    with fake_openai_server() as server:
        yield server


@pytest.fixture
def server(_server):
    _server.mode, _server.reply = "ok", REPLY
    _server.malformed_body = FakeOpenAI.malformed_body
    _server.requests.clear()
    return _server


def openai_model(server, tmp_path, **settings):
    fields = {"data_dir": tmp_path, "openai_base_url": server.base_url, "max_retries": 0}
    return get_chat_model("openai:fake-model", Settings(**{**fields, **settings}))


def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


# --- spec parsing and the factory -------------------------------------------------------


@pytest.mark.parametrize(
    "spec, expected",
    [
        (
            "local:qwen2.5-coder-1.5b-instruct-q4_k_m",
            ("local", "qwen2.5-coder-1.5b-instruct-q4_k_m"),
        ),
        ("openai:gpt-4o-mini", ("openai", "gpt-4o-mini")),
        (" OpenAI : deepseek-chat ", ("openai", "deepseek-chat")),
        ("local:/models/x.gguf", ("local", "/models/x.gguf")),
        ("fake", ("fake", "")),
        ("fake:whatever", ("fake", "whatever")),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


@pytest.mark.parametrize(
    "spec", ["", "local", "local:", "openai:", "gpt-4o", "anthropic:claude", ":x"]
)
def test_bad_spec_lists_providers(spec):
    with pytest.raises(ConfigError, match="local, openai, fake") as info:
        get_chat_model(spec)
    assert "RAG_CHAT_MODEL" in info.value.hint


def test_default_spec_comes_from_settings(monkeypatch):
    monkeypatch.setenv("RAG_CHAT_MODEL", "fake:demo")
    get_settings.cache_clear()
    model = get_chat_model(replies=["你好"])
    assert isinstance(model, FakeChatModel)
    assert model.invoke("hi").content == "你好"


def test_openai_model_is_wired_from_settings(allowed, tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        openai_base_url="http://127.0.0.1:1/v1",
        openai_api_key=None,
        request_timeout=7,
        max_retries=3,
        temperature=0.2,
        llm_max_tokens=99,
    )
    model = get_chat_model("openai:deepseek-chat", settings, temperature=0.5)
    assert isinstance(model, ChatOpenAI)
    assert model.model_name == "deepseek-chat"
    assert model.openai_api_base == "http://127.0.0.1:1/v1"
    assert model.openai_api_key.get_secret_value() == "not-needed"
    assert (model.request_timeout, model.max_retries, model.max_tokens) == (7, 3, 99)
    assert model.temperature == 0.5  # override wins


def test_local_model_is_wired_from_settings_without_loading(allowed, tmp_path):
    gguf = tmp_path / "models" / "tiny.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"not really a model")
    settings = Settings(data_dir=tmp_path, llm_threads=1, llm_ctx=1024, llm_max_tokens=16)
    for spec in ("local:tiny", f"local:{gguf}"):
        model = get_chat_model(spec, settings)
        assert isinstance(model, LocalLlamaChat)
        assert model.model_path == str(gguf)
        assert (model.n_threads, model.n_ctx, model.max_tokens) == (1, 1024, 16)


def test_unknown_local_model(allowed, tmp_path):
    with pytest.raises(ConfigError, match="no local model"):
        get_chat_model("local:nope", Settings(data_dir=tmp_path))


# --- blocking real providers --------------------------------------------------------------


def test_blocked_local_does_not_touch_the_model(blocked, monkeypatch):
    monkeypatch.setattr(model_files, "ensure_local_model", lambda *a, **k: pytest.fail("joined"))
    with pytest.raises(ConfigError, match="blocked"):
        get_chat_model("local:qwen2.5-coder-1.5b-instruct-q4_k_m")


@pytest.mark.parametrize(
    "base_url", [None, "https://api.deepseek.com/v1", "http://10.0.0.5:8000/v1"]
)
def test_blocked_remote_openai(blocked, tmp_path, base_url):
    with pytest.raises(ConfigError, match="blocked"):
        get_chat_model("openai:x", Settings(data_dir=tmp_path, openai_base_url=base_url))


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:8080/v1", "http://localhost:11434/v1", "http://[::1]:8000/v1"]
)
def test_blocked_still_allows_loopback(blocked, tmp_path, base_url):
    model = get_chat_model("openai:x", Settings(data_dir=tmp_path, openai_base_url=base_url))
    assert isinstance(model, ChatOpenAI)
    assert isinstance(get_chat_model("fake"), FakeChatModel)


# --- the fake chat model ------------------------------------------------------------------


def test_fake_replies_in_order_and_records_prompts():
    fake = FakeChatModel(["一", "二"])
    assert fake.invoke([SystemMessage("sys"), HumanMessage("q1")]).content == "一"
    assert fake.invoke("q2").content == "二"
    assert [m.content for m in fake.calls[0]] == ["sys", "q1"]
    assert fake.calls[1][-1].content == "q2"
    with pytest.raises(FakeModelExhausted, match="call #3") as info:
        fake.invoke("q3")
    assert isinstance(info.value, AssertionError)


def test_fake_callable_stream_stop_and_scripted_errors():
    fake = FakeChatModel(lambda messages: "回答：" + messages[-1].content + "。完")
    chunks = [c.content for c in fake.stream("北京在哪里")]
    assert len(chunks) > 3
    assert "".join(chunks) == "回答：北京在哪里。完"
    assert fake.invoke("x", stop=["。"]).content == "回答：x"
    assert len(fake.calls) == 2

    failing = FakeChatModel(
        [openai.APIConnectionError(request=httpx.Request("POST", "http://h/v1"))]
    )
    err = translate_model_error(raised(lambda: failing.invoke("q")))
    assert isinstance(err, ModelError)


def test_override_makes_the_fake_the_default(allowed):
    with registry.override(FakeChatModel(["好的"])) as fake:
        assert get_chat_model() is fake
        assert get_chat_model("fake") is fake
        with pytest.raises(ConfigError):
            get_chat_model("local:qwen2.5-coder-1.5b-instruct-q4_k_m")
        assert get_chat_model().invoke("q").content == "好的"
    assert registry.overridden is None
    assert get_chat_model("fake") is not fake
    assert isinstance(get_chat_model("openai:x", Settings(openai_base_url="http://127.0.0.1:9/v1")), ChatOpenAI)


# --- error translation --------------------------------------------------------------------


def _status_error(cls, status):
    request = httpx.Request("POST", "http://srv:1/v1/chat/completions")
    return cls("nope", response=httpx.Response(status, request=request), body=None)


@pytest.mark.parametrize(
    "exc, hint",
    [
        (_status_error(openai.AuthenticationError, 401), "RAG_OPENAI_API_KEY"),
        (_status_error(openai.NotFoundError, 404), "RAG_CHAT_MODEL"),
        (_status_error(openai.RateLimitError, 429), "RAG_MAX_RETRIES"),
        (_status_error(openai.InternalServerError, 503), "log"),
    ],
)
def test_translate_status_errors(exc, hint):
    err = translate_model_error(exc)
    assert isinstance(err, ModelError)
    assert "http://srv:1/v1/chat/completions" in err.message
    assert hint in err.hint


def test_translate_leaves_bugs_alone():
    assert translate_model_error(ValueError("a bug")) is None
    assert translate_model_error(KeyError("x")) is None
    err = ConfigError("x")
    assert translate_model_error(err) is err


# --- the openai provider against the fake server ------------------------------------------


def test_openai_reply(server, tmp_path):
    reply = openai_model(server, tmp_path).invoke(
        [SystemMessage("只用中文"), HumanMessage("首都？")]
    )
    assert reply.content == REPLY
    body = server.requests[-1]
    assert body["model"] == "fake-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert not body.get("stream")


def test_openai_streams_tokens(server, tmp_path):
    chunks = [c.content for c in openai_model(server, tmp_path).stream("首都？")]
    assert len([c for c in chunks if c]) > 3
    assert "".join(chunks) == REPLY
    assert server.requests[-1]["stream"] is True


def test_openai_500_becomes_model_error(server, tmp_path):
    server.mode = "error500"
    err = translate_model_error(raised(lambda: openai_model(server, tmp_path).invoke("q")))
    assert isinstance(err, ModelError)
    assert "HTTP 500" in err.message and server.base_url in err.message


def test_openai_timeout_is_fast_model_error(server, tmp_path):
    server.mode = "slow"
    model = openai_model(server, tmp_path, request_timeout=0.5)
    start = time.monotonic()
    err = translate_model_error(raised(lambda: model.invoke("q")))
    assert time.monotonic() - start < 2.5
    assert isinstance(err, ModelError)
    assert "in time" in err.message and "RAG_REQUEST_TIMEOUT" in err.hint


def test_openai_connection_refused(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(
        data_dir=tmp_path, openai_base_url=f"http://127.0.0.1:{port}/v1", max_retries=0
    )
    err = translate_model_error(raised(lambda: get_chat_model("openai:m", settings).invoke("q")))
    assert isinstance(err, ModelError)
    assert "cannot reach" in err.message and "RAG_OPENAI_BASE_URL" in err.hint


@pytest.mark.parametrize(
    "stream, body",
    [
        (True, None),  # SSE: a non-JSON event
        (False, None),  # the server's default: JSON with "choices": null
        (False, '{"choices": [ truncated'),
        (False, "<html><body>not an API</body></html>"),
        (False, '{"choices": [{"index": 0, "message": 5}]}'),
    ],
)
def test_openai_malformed_reply_becomes_model_error(server, tmp_path, stream, body):
    server.mode = "malformed"
    if body:
        server.malformed_body = body
    model = openai_model(server, tmp_path)
    call = (lambda: list(model.stream("q"))) if stream else (lambda: model.invoke("q"))
    err = translate_model_error(raised(call))
    assert isinstance(err, ModelError), err
    assert "not a valid" in err.message


def test_fake_server_embeddings_are_deterministic_unit_vectors(server):
    embed = OpenAIEmbeddings(
        model="fake-embed",
        base_url=server.base_url,
        api_key="not-needed",
        check_embedding_ctx_length=False,
    )
    a, b = embed.embed_documents(["北京", "上海"])
    assert len(a) == EMBED_DIM
    assert np.isclose(np.linalg.norm(a), 1.0, atol=1e-5)
    assert embed.embed_query("北京") == pytest.approx(a, abs=1e-6)
    assert a != b
    assert httpx.get(server.base_url + "/models").json()["data"][0]["id"] == "fake-model"


# --- the real local model -----------------------------------------------------------------


@pytest.mark.slow
def test_real_local_model_streams_chinese(allowed, monkeypatch):
    monkeypatch.delenv("RAG_DATA_DIR")  # use the real data dir: the 1.1 GB join is wanted
    get_settings.cache_clear()
    settings = get_settings().model_copy(update={"llm_max_tokens": 8, "llm_ctx": 512})
    path = model_files.ensure_local_model(settings, progress=True)
    assert path.stat().st_size == model_files.MODEL_SIZE
    model = get_chat_model(settings=settings)
    assert isinstance(model, LocalLlamaChat)
    chunks = [c.content for c in model.stream([HumanMessage("用一句话回答：中国的首都是哪里？")])]
    assert any(chunks), chunks
    assert len("".join(chunks)) > 0
