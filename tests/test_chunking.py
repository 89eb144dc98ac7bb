"""Sentence-aware chunking with exact offsets."""

from rag.ingest.chunking import chunk_document
from rag.ingest.cleaning import clean
from rag.text import split_sentences


def test_every_chunk_is_an_exact_slice_of_the_cleaned_text(article_text):
    d = clean(article_text, "article")
    chunks = chunk_document(d, chunk_size=320, overlap=1)
    assert len(chunks) >= 20
    for c in chunks:
        assert d.text[c.start : c.end] == c.text
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_chunks_never_cross_sections(article_text):
    d = clean(article_text, "article")
    for c in chunk_document(d, chunk_size=120, overlap=1):
        paras = [p for p in d.paragraphs if p.start < c.end and p.end > c.start]
        assert len({p.section for p in paras}) == 1


def test_small_size_splits_at_sentences_with_overlap(article_text):
    d = clean(article_text, "article")
    chunks = [c for c in chunk_document(d, chunk_size=80, overlap=1) if c.kind == "body"]
    enders = "。！？!?；;…”"
    for c in chunks:  # a sentence is only cut (at a clause mark) when it is longer than twice the size
        assert c.text[-1] in enders or (c.text[-1] in "，、：,:" and len(c.text) <= 160)
    # consecutive chunks of one paragraph share a sentence where it fits, and lose no text
    same_para = [(a, b) for a, b in zip(chunks, chunks[1:]) if a.paragraph == b.paragraph]
    assert any(b.start < a.end for a, b in same_para)
    for a, b in same_para:
        assert b.start <= a.end + 1 or d.text[a.end : b.start].strip() == ""


def test_chinese_and_english_sentences():
    text = "第一句。第二句！“第三句?”Then English. And more! Last"
    spans = [text[s:e] for s, e in split_sentences(text)]
    assert spans == ["第一句。", "第二句！", "“第三句?”", "Then English.", "And more!", "Last"]


def test_ids_change_with_content_and_position():
    a = chunk_document(clean("# T\n\n甲。\n\n乙。", "d"), min_chars=0)
    b = chunk_document(clean("# T\n\n乙。\n\n甲。", "d"), min_chars=0)
    assert {c.text for c in a} == {c.text for c in b}
    assert {c.chunk_id for c in a} != {c.chunk_id for c in b}


def test_a_sentence_without_end_punctuation_never_makes_an_outsized_chunk():
    long_clauses = "，".join(f"第{i}段说明了一件事情" for i in range(600))  # ~6,000 characters, no end mark
    no_marks = "字" * 5000
    for body in (long_clauses, no_marks):
        doc = clean(f"# 标题\n\n{body}\n\n短句。", "d")
        chunks = chunk_document(doc, chunk_size=320)
        assert max(len(c.text) for c in chunks) <= 2 * 320
        assert all(doc.text[c.start : c.end] == c.text for c in chunks)
        covered = "".join(c.text for c in chunks if c.kind == "body")
        assert covered.replace("，", "").count("字") == body.count("字")
