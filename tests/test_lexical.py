"""The BM25 index on disk: processes saving at the same moment never clash or leave half an index."""

from __future__ import annotations

import multiprocessing

from rag.index.lexical import LexicalIndex


def _save_many(folder: str, tag: int, times: int, errors) -> None:
    from pathlib import Path

    index = LexicalIndex.build([f"{tag}-a", f"{tag}-b"], ["星河社区共有居民3200名", "化辛小区是回迁安置小区"])
    for i in range(times):
        try:
            index.save(Path(folder), f"fp-{tag}-{i}")
            loaded = LexicalIndex.load(Path(folder))
            assert loaded is not None and loaded[0].search("居民", 1)
        except Exception as exc:  # noqa: BLE001 - counted, reported by the test
            errors.put(repr(exc))


def test_concurrent_saves_from_two_processes(tmp_path):
    folder = tmp_path / "lexical" / "rag_chunks"
    errors = multiprocessing.get_context("fork").Queue()
    procs = [multiprocessing.get_context("fork").Process(target=_save_many, args=(str(folder), t, 75, errors))
             for t in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    found = []
    while not errors.empty():
        found.append(errors.get())
    assert found == []
    index, fingerprint = LexicalIndex.load(folder)
    assert fingerprint in {"fp-1-74", "fp-2-74"} and index.search("居民", 1)
    assert [p.name for p in folder.parent.iterdir() if not p.name.endswith(".lock")] == ["rag_chunks"]
