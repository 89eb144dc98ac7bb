"""The ingest manifest: rebuild beside the live store, incomplete documents reported and
repaired, and writes by another process seen without a restart (issue 12, section 3)."""

import subprocess
import sys

import pytest

from rag.index.manifest import COMPLETE, DELETING, WRITING
from rag.index.retriever import HybridRetriever
from rag.index.store import Store
from rag.ingest import ingest, load_document
from rag.settings import Settings

OTHER = "# 其他\n\n另一份文件讲的是南湖公园的荷花节，共有三千名游客到场。\n"


@pytest.fixture
def two_docs(tmp_path, article_text):
    a = tmp_path / "article.txt"
    a.write_text(article_text, encoding="utf-8")
    b = tmp_path / "other.md"
    b.write_text(OTHER, encoding="utf-8")
    s = Settings(data_dir=tmp_path / "data")
    ingest([a, b], s)
    return s, a, b


def _doc_ids(s):
    return sorted(d["doc_id"] for d in Store(s).list_documents())


def test_a_rebuild_is_built_beside_the_live_store_and_swapped_in_when_whole(two_docs, monkeypatch):
    s, a, _ = two_docs
    reader = HybridRetriever.from_settings(s, mode="bm25")  # a running app's retriever
    assert reader.invoke("荷花节游客")[0].metadata["doc_id"] == "other"
    seen_before_swap = {}
    go_live = Store.go_live

    def spy(self, new):
        seen_before_swap["docs"] = _doc_ids(s)  # the new generation is whole, queries still read the old one
        seen_before_swap["new"] = sorted(d["doc_id"] for d in new.list_documents())
        seen_before_swap["hit"] = reader.invoke("荷花节游客")[0].metadata["doc_id"]
        return go_live(self, new)

    monkeypatch.setattr(Store, "go_live", spy)
    old_live = Store(s).live_name
    report = ingest([a], s, rebuild=True)
    assert seen_before_swap == {"docs": ["article", "other"], "new": ["article"], "hit": "other"}
    assert report.documents == ["article"] and _doc_ids(s) == ["article"]
    store = Store(s)
    assert store.live_name != old_live and store.stale_generations() == []
    assert not (s.lexical_dir / old_live).exists()
    hits = reader.invoke("荷花节游客")  # the running retriever follows the swap
    assert all(h.metadata["doc_id"] == "article" for h in hits)


def test_a_rebuild_that_fails_while_writing_leaves_the_live_store_and_its_leftovers_go(two_docs, monkeypatch):
    s, a, b = two_docs
    count = Store(s).count()
    rebuild_lexical = Store.rebuild_lexical

    def fail_in_new_generation(self):
        if self._generation:
            raise RuntimeError("disk full")
        return rebuild_lexical(self)

    monkeypatch.setattr(Store, "rebuild_lexical", fail_in_new_generation)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest([a], s, rebuild=True)
    store = Store(s)
    assert store.count() == count and _doc_ids(s) == ["article", "other"]
    assert len(store.stale_generations()) == 1 and store.status().warning is None
    monkeypatch.setattr(Store, "rebuild_lexical", rebuild_lexical)
    ingest([b], s)  # the next write drops what the failed rebuild left
    assert Store(s).stale_generations() == []


def test_documents_left_incomplete_are_reported_and_repaired_by_the_next_ingest(two_docs, tmp_path):
    s, a, _ = two_docs
    third = tmp_path / "third.md"
    third.write_text("# 第三篇\n\n北湖村修建了一座长八百米的木栈道。\n", encoding="utf-8")
    doc = load_document(third, s)
    writer = Store(s)
    with writer.writing():  # an ingest that has written the document's row and nothing else yet
        writer.put_document(doc, WRITING)
        reader = HybridRetriever.from_settings(s)
        reader.invoke("木栈道")
        assert "writing to the store right now" in reader.warning and "third" in reader.warning
    # the writer died without finishing (its lock is gone, the document still says writing)
    reader.invoke("木栈道")
    assert "stopped before it finished" in reader.warning and "rag ingest" in reader.warning
    report = ingest([a], s)  # another batch: the stored text of the unfinished document is used
    assert "third" in report.documents
    store = Store(s)
    assert store.document_meta("third")["state"] == COMPLETE and store.status().warning is None
    assert reader.invoke("木栈道")[0].metadata["doc_id"] == "third" and reader.warning is None


def test_a_delete_cut_short_is_finished_by_the_next_ingest(two_docs):
    s, a, _ = two_docs
    store = Store(s)
    with store.writing():
        store.set_state(["other"], DELETING)
    assert "other" in store.status().warning
    ingest([a], s)
    assert _doc_ids(s) == ["article"] and Store(s).status().warning is None


INGEST_IN_ANOTHER_PROCESS = """
import sys
from pathlib import Path
from rag.ingest import ingest
from rag.settings import Settings
ingest([Path(sys.argv[1])], Settings(data_dir=Path(sys.argv[2])))
"""


@pytest.mark.parametrize("mode", ["dense", "bm25"])
def test_documents_another_process_ingests_are_found_without_a_restart(two_docs, tmp_path, mode):
    s, _, _ = two_docs
    retriever = HybridRetriever.from_settings(s, mode=mode)
    assert retriever.invoke("荷花节的游客")  # loaded (vectors, BM25) before the other process writes
    new = tmp_path / "boardwalk.md"
    new.write_text("# 木栈道\n\n北湖村修建了一座长八百米的木栈道，供村民散步。\n", encoding="utf-8")
    subprocess.run([sys.executable, "-c", INGEST_IN_ANOTHER_PROCESS, str(new), str(s.data_dir)], check=True)
    hits = retriever.invoke("北湖村修建的木栈道有多长")
    assert hits[0].metadata["doc_id"] == "boardwalk"
