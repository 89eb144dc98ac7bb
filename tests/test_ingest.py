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


def test_two_files_with_one_name_are_two_documents_and_reingest_changes_nothing(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    for folder, text in (("A", "甲公司有员工120名。"), ("B", "乙公司有员工340名。")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "report.txt").write_text(f"# 报告\n\n{text}\n", encoding="utf-8")
    (tmp_path / "A" / "新闻 (1).txt").write_text("# 新闻\n\n丙村有农户80户。\n", encoding="utf-8")
    (tmp_path / "B" / "新闻_1_.txt").write_text("# 新闻\n\n丁村有农户95户。\n", encoding="utf-8")
    first = ingest([tmp_path / "A", tmp_path / "B"], settings)
    assert len(set(first.documents)) == 4
    store = Store(settings)
    assert len(store.list_documents()) == 4
    texts = {store.get_document(d).text for d in first.documents}
    assert any("120名" in t for t in texts) and any("340名" in t for t in texts)
    again = ingest([tmp_path / "A", tmp_path / "B"], settings)
    assert sorted(again.documents) == sorted(first.documents)
    assert (again.embedded, again.deleted) == (0, 0)
    alone = ingest([tmp_path / "A" / "report.txt"], settings)  # one of them again, on its own: same id
    assert alone.documents[0] in first.documents and len(store.list_documents()) == 4
    # a later file of the same name from elsewhere does not replace the stored one
    (tmp_path / "C").mkdir()
    (tmp_path / "C" / "report.txt").write_text("# 报告\n\n戊公司有员工55名。\n", encoding="utf-8")
    third = ingest([tmp_path / "C"], settings)
    assert third.documents[0] not in first.documents and len(store.list_documents()) == 5
    # the same text under the same name in another folder (a moved or cloned corpus) is the same document
    (tmp_path / "D").mkdir()
    (tmp_path / "D" / "report.txt").write_text("# 报告\n\n戊公司有员工55名。\n", encoding="utf-8")
    moved = ingest([tmp_path / "D"], settings)
    assert moved.documents == third.documents and moved.embedded == 0 and len(store.list_documents()) == 5


def test_a_rebuild_with_a_dead_embedding_endpoint_leaves_the_store_as_it_was(tmp_path, article_text):
    from rag.errors import ModelError

    p = tmp_path / "a.txt"
    p.write_text(article_text, encoding="utf-8")
    s = Settings(data_dir=tmp_path / "data")
    ingest([p], s)
    before = Store(s).count()
    dead = s.model_copy(update={"embed_model": "openai:x", "openai_base_url": "http://127.0.0.1:9/v1", "max_retries": 0})
    with pytest.raises(ModelError, match="embedding failed"):
        ingest([p], dead, rebuild=True)
    assert Store(s).count() == before > 0
    assert HybridRetriever.from_settings(s).invoke("化辛小区")  # still answers with the old model
