"""The lexical (BM25) half of hybrid retrieval.

Chinese has no spaces, so text is cut into words with jieba's search mode (which
also emits the shorter words inside long ones); ASCII words are lower-cased,
punctuation and a short list of function/question words are dropped. The index
is ``bm25s`` saved beside Chroma, with the chunk ids it covers, and can always be
rebuilt from Chroma's contents (``Store.rebuild_lexical``). Saving builds in a temp folder of
its own and swaps under a file lock, so processes saving at once never clash. Shortcut: the whole
index is rebuilt after each ingest; at this corpus size that takes milliseconds.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import re
import tempfile
from pathlib import Path

import bm25s
import jieba

jieba.setLogLevel(logging.WARNING)

STOPWORDS = set(
    "的 了 在 是 和 与 及 等 对 为 把 被 从 以 于 就 都 也 还 又 并 其 之 这 那 这些 那些 "
    "有 有的 个 名 中 上 下 里 吗 呢 吧 啊 什么 多少 哪些 哪个 哪 几 几个 怎么 怎样 如何 为什么 "
    "谁 何 请问 是否 哪里 哪儿 "
    "the a an of in on at to for and or is are was were be by with what which who whom how "
    "many much when where why did do does it its this that as from".split()
)
_WORD = re.compile(r"\w", re.UNICODE)


def tokenize(text: str) -> list[str]:
    tokens = []
    for tok in jieba.lcut_for_search(text.lower()):
        tok = tok.strip()
        if tok and _WORD.search(tok) and tok not in STOPWORDS:
            tokens.append(tok)
    return tokens


class LexicalIndex:
    """BM25 over jieba tokens, mapping results back to chunk ids."""

    def __init__(
        self, ids: list[str], bm25: bm25s.BM25 | None, df: dict[str, int] | None = None, docs: list[str] | None = None
    ):
        self.ids = ids
        self.bm25 = bm25
        self.df = df or {}
        self.docs = docs or [""] * len(ids)  # the document of each chunk, for searches limited to some

    @classmethod
    def build(cls, ids: list[str], texts: list[str], docs: list[str] | None = None) -> LexicalIndex:
        if not ids:
            return cls([], None)
        corpus = [tokenize(t) or ["∅"] for t in texts]
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        df: dict[str, int] = {}
        for tokens in corpus:
            for tok in set(tokens):
                df[tok] = df.get(tok, 0) + 1
        return cls(list(ids), bm25, df, list(docs) if docs else None)

    def idf(self, term: str) -> float:
        """Inverse document frequency of a term over the indexed chunks (rare words weigh more)."""
        n = max(1, len(self.ids))
        return math.log(1 + n / (self.df.get(term, 0) + 1))

    def search(self, query: str, k: int, doc_ids=()) -> list[tuple[str, float]]:
        """Best ``k`` chunk ids with their BM25 scores (only scores above zero); with ``doc_ids``,
        only chunks of those documents."""
        if self.bm25 is None:
            return []
        vocab = self.bm25.vocab_dict
        tokens = [t for t in tokenize(query) if t in vocab]
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        if doc_ids:
            wanted = set(doc_ids)
            scores = scores * [d in wanted for d in self.docs]
        order = scores.argsort()[::-1][:k]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]

    def save(self, folder: Path, fingerprint: str) -> None:
        """Write the index into ``folder`` whole: built in a temp folder of its own, then swapped in
        under a lock, so a crash or another process saving at the same time never leaves half an index."""
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.tmp-"))
        try:
            if self.bm25 is not None:
                self.bm25.save(str(tmp))
            (tmp / "ids.json").write_text(json.dumps({"ids": self.ids, "fingerprint": fingerprint, "df": self.df, "docs": self.docs}))
            with open(folder.parent / f".{folder.name}.lock", "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                old = None
                if folder.exists():
                    old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.old-"))
                    folder.rename(old / "index")
                tmp.rename(folder)
                if old is not None:
                    _rmtree(old)
        finally:
            _rmtree(tmp)

    @classmethod
    def load(cls, folder: Path) -> tuple[LexicalIndex, str] | None:
        meta = folder / "ids.json"
        lock_path = folder.parent / f".{folder.name}.lock"
        if not folder.parent.is_dir():
            return None
        with open(lock_path, "a") as lock:  # not while another process swaps a new index in
            fcntl.flock(lock, fcntl.LOCK_SH)
            if not meta.exists():
                return None
            data = json.loads(meta.read_text())
            if "docs" not in data:
                return None  # saved by an older version: rebuilt from Chroma
            bm25 = bm25s.BM25.load(str(folder)) if data["ids"] else None
        return cls(data["ids"], bm25, data.get("df"), data["docs"]), data["fingerprint"]


def _rmtree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)
