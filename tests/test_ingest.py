"""Idempotent and incremental ingest, rebuild, and the model-mismatch guard."""

import pytest

from rag.errors import ModelMismatchError
from rag.index.retriever import HybridRetriever
from rag.index.store import Store
from rag.ingest import ingest
from rag.settings import Settings


def test_second_ingest_embeds_nothing(tmp_path, article_text):
    p = tmp_path / "article.txt"
    p.write_text(article_text, encoding="utf-8")
    s = Settings(data_dir=tmp_path / "d")
    first = ingest([p], s)
    assert first.embedded == first.chunks_total >= 20
    second = ingest([p], s)
    assert second.embedded == 0 and second.deleted == 0
    assert second.unchanged == first.chunks_total
    assert Store(s).count() == first.chunks_total


def test_changed_document_reembeds_only_changed_chunks(tmp_path, article_text):
    p = tmp_path / "article.txt"
    p.write_text(article_text, encoding="utf-8")
    s = Settings(data_dir=tmp_path / "d")
    ingest([p], s)
    edited = article_text.replace("截至3月19日,全区已有181名退役军人加入志愿先锋队。", "截至3月19日,全区已有199名退役军人加入志愿先锋队。")
    edited = edited.replace("他们对作业车辆出车前", "另起一段。\n\n他们对作业车辆出车前")
    assert edited != article_text
    p.write_text(edited, encoding="utf-8")
    second = ingest([p], s)
    assert 1 <= second.embedded <= 3
    assert second.embedded + second.reused + second.unchanged == second.chunks_total
    store = Store(s)
    assert store.count() == second.chunks_total
    texts = " ".join(t for _, t, _ in store.all_chunks())
    assert "199名退役军人" in texts and "181名退役军人" not in texts
    # the lexical index follows the change
    hits = store.lexical().search("199名退役军人", 3)
    assert hits and "199" in store.get_chunks([hits[0][0]])[hits[0][0]][0]


def test_rebuild_starts_clean(tmp_path, article_text):
    p = tmp_path / "article.txt"
    p.write_text(article_text, encoding="utf-8")
    other = tmp_path / "other.md"
    other.write_text("# 其他\n\n另一份文件的内容。", encoding="utf-8")
    s = Settings(data_dir=tmp_path / "d")
    ingest([p, other], s)
    report = ingest([p], s, rebuild=True)
    assert report.embedded == report.chunks_total
    assert [d["doc_id"] for d in Store(s).list_documents()] == ["article"]


def test_querying_with_another_embedding_model_is_a_clear_error(tmp_path, article_text):
    p = tmp_path / "article.txt"
    p.write_text(article_text, encoding="utf-8")
    ingest([p], Settings(data_dir=tmp_path / "d"))
    other = Settings(data_dir=tmp_path / "d", embed_model="sentence-transformers:all-MiniLM-L6-v2")
    with pytest.raises(ModelMismatchError) as err:
        HybridRetriever.from_settings(other)
    assert "rag ingest --rebuild" in err.value.hint
    with pytest.raises(ModelMismatchError):
        ingest([p], Settings(data_dir=tmp_path / "d", chunk_size=100))


def test_lexical_index_is_rebuilt_from_chroma(article_settings):
    import shutil

    store = Store(article_settings)
    shutil.rmtree(store.lexical_dir)
    assert store.lexical().search("退役军人志愿先锋队", 1)
