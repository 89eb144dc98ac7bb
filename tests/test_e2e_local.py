"""End-to-end on the real defaults: the bundled local model, embedded Chroma, the article.

Slow (a few model calls on 2 CPU cores) but part of CI. The local model file lives in the
normal data dir (joined once by `rag prepare`), the store in a temporary one.
"""

import pytest

from rag.answering.chain import AnswerChain
from rag.index.store import Store
from rag.models.files import ensure_local_model
from rag.settings import Settings, default_data_dir
from rag.summaries import Summarizer

pytestmark = pytest.mark.slow


@pytest.fixture
def real(article_settings, real_models):
    model = ensure_local_model(Settings(data_dir=default_data_dir()))
    chat_model = f"local:{model}"
    return article_settings.model_copy(update={"chat_model": chat_model})


def test_chinese_question_is_answered_with_a_valid_citation(real):
    answer = AnswerChain(real).invoke("截至3月19日,全区有多少名退役军人加入了志愿先锋队?")
    assert not answer.refused, answer.raw_answer
    assert "181" in answer.text
    assert answer.citations
    doc = Store(real).get_document(answer.citations[0].doc_id)
    for c in answer.citations:
        assert doc.text[c.start : c.end] == c.quote
    assert any("181" in c.quote for c in answer.citations)
    assert answer.timings["ttft_s"] > 0


def test_unanswerable_question_is_refused(real):
    answer = AnswerChain(real).invoke("廊坊开发区一共有多少家银行网点?")
    assert answer.refused, answer.text
    assert answer.citations == []


def test_one_short_section_is_summarised_with_checked_citations(real):
    s = Summarizer(real)
    [summary] = s.run(section="退役军人志愿先锋队", length="short")
    assert summary.summary and summary.citations
    doc = Store(real).get_document(summary.doc_id)
    for c in summary.citations:
        assert doc.text[c.start : c.end] == c.quote
    from rag.text import numbers

    chunks = "".join(c.quote for c in summary.citations)
    source = "".join(t for _, t, _ in Store(real).all_chunks(summary.doc_id))
    assert numbers(summary.summary) <= numbers(source, chinese=True)
    assert chunks
