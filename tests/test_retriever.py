"""Hybrid retrieval on the ingested article."""

from rag.index.retriever import HybridRetriever


def test_results_carry_fused_score_and_component_ranks(article_settings):
    r = HybridRetriever.from_settings(article_settings, k=5)
    docs = r.invoke("截至3月19日有多少名退役军人加入志愿先锋队?")
    assert "181名退役军人" in docs[0].page_content
    m = docs[0].metadata
    assert m["bm25_rank"] and m["dense_rank"] and m["score"] > 0
    assert [d.metadata["score"] for d in docs] == sorted((d.metadata["score"] for d in docs), reverse=True)
    assert {"chunk_id", "doc_id", "section", "start", "end"} <= set(m)


def test_english_question_finds_chinese_text(article_settings):
    r = HybridRetriever.from_settings(article_settings, k=3)
    docs = r.invoke("How many veterans joined the volunteer vanguard team?")
    assert any("181名退役军人" in d.page_content for d in docs)


def test_modes_and_doc_filter(article_settings):
    for mode in ("bm25", "dense"):
        r = HybridRetriever.from_settings(article_settings, k=3, mode=mode)
        docs = r.invoke("依工汽车公司的运输车开往哪里?")
        key = "bm25_rank" if mode == "bm25" else "dense_rank"
        assert all(d.metadata[key] for d in docs)
    r = HybridRetriever.from_settings(article_settings, k=3, doc_ids=("no-such-doc",))
    assert r.invoke("退役军人") == []
