"""The sentences of the retrieved chunks that bear on the question, within a token budget.

The local model pays for every prompt token at prefill speed (~90 tokens/s on 2 cores),
and of a chunk's five or so sentences one or two answer a question. ``select()`` scores
each sentence of the retrieved chunks by the question's terms it holds, each weighted by
its rarity among those sentences; takes the best sentences, then the sentence before each
(it often names the subject), until the budget in model tokens is spent; and returns, per
chunk in rank order, the kept sentences in document order with gaps shown as "…".
Chunks with nothing kept are left out. The citation check still reads whole chunks, so
quotes and offsets are unchanged.

Shortcuts: terms are the question's Chinese character bigrams, its Latin words and its
numbers -- no segmenter, so a paraphrase that shares no two characters with the answer
sentence scores 0 and is reached only through rank order (the best-ranked chunk's best
sentence is always kept); sentences that look like planted instructions are never kept.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.answering.citations import clean_spans
from rag.text import estimate_tokens, numbers

MIN_SHARE = 0.1  # a sentence scoring under this share of the best one is not worth its tokens (bench/context.py)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_STOP = {"the", "and", "how", "many", "much", "what", "which", "who", "when", "where", "does", "did", "was",
         "were", "are", "for", "with", "from", "that", "this", "there", "their", "about", "into"}


@dataclass(frozen=True)
class Excerpt:
    """What of one chunk goes into the prompt: ``text``, and the kept sentences' spans in the chunk."""

    index: int  # position of the chunk in the retrieved list
    text: str
    spans: tuple[tuple[int, int], ...]


def bigrams(text: str) -> set[str]:
    """The character bigrams of each Chinese run of ``text``."""
    return {run[i : i + 2] for run in re.findall(r"[\u4e00-\u9fff]+", text) for i in range(len(run) - 1)}


def terms(text: str) -> set[str]:
    """Character bigrams of each Chinese run (a one-character run itself), Latin words (lower
    case, no stop words), numbers."""
    out = bigrams(text)
    out.update(run for run in re.findall(r"[\u4e00-\u9fff]+", text) if len(run) == 1)
    out.update(w.lower() for w in _WORD_RE.findall(text) if w.lower() not in _STOP)
    out.update(f"#{n}" for n in numbers(text, chinese=True))
    return out


def _scores(question: str, chunks: list[str]):
    """Each chunk's sentence spans, and per (chunk, sentence): its text and its score."""
    spans = [clean_spans(text) for text in chunks]
    sentences = [(i, j) for i, sp in enumerate(spans) for j in range(len(sp))]
    text_of = {(i, j): chunks[i][spans[i][j][0] : spans[i][j][1]] for i, j in sentences}
    bag = {key: terms(t) for key, t in text_of.items()}
    wanted = terms(question)
    df: dict[str, int] = {}
    for b in bag.values():
        for t in b & wanted:
            df[t] = df.get(t, 0) + 1
    n = len(sentences)
    # fsum: a set's order changes from run to run, and a float sum in another order can break a tie
    # between two sentences the other way (another prompt for the same question)
    score = {key: math.fsum(math.log(1 + n / df[t]) for t in bag[key] & wanted) for key in sentences}
    return spans, text_of, score


def best_spans(question: str, chunks: list[str]) -> list[tuple[int, int] | None]:
    """Per chunk, the span of its sentence that bears most on ``question`` (None: no term in common)."""
    spans, _, score = _scores(question, chunks)
    out = []
    for i, sp in enumerate(spans):
        j = max(range(len(sp)), key=lambda j: (score[(i, j)], -j), default=None)
        out.append(sp[j] if j is not None and score[(i, j)] > 0 else None)
    return out


def select(
    question: str,
    chunks: list[str],
    budget: int,
    count_tokens: Callable[[str], int] = estimate_tokens,
    overhead: Callable[[int], int] | None = None,
    min_share: float = MIN_SHARE,
    whole_first: bool = True,
) -> list[Excerpt]:
    """Excerpts of ``chunks`` (in rank order) that fit in ``budget`` tokens; ``overhead(i)``
    is what chunk ``i``'s label costs in the prompt when it is included."""
    spans, text_of, score = _scores(question, chunks)
    sentences = list(score)
    if not sentences:
        return []
    best = max(score.values())
    ranked = sorted(sentences, key=lambda k: (-score[k], k))
    ranked = [k for k in ranked if best > 0 and score[k] >= min_share * best]
    first = max(((0, j) for j in range(len(spans[0]))), key=lambda k: (score[k], -k[1]), default=None)
    if first is not None and first not in ranked[:1]:
        ranked.insert(0, first)  # the best-ranked chunk's best sentence, even when no term matched

    kept: set[tuple[int, int]] = set()
    used = 0
    cost = {key: count_tokens(text_of[key]) for key in sentences}
    labels: set[int] = set()

    def take(key) -> bool:
        nonlocal used
        label = 0 if key[0] in labels or overhead is None else overhead(key[0])
        if key in kept or used + cost[key] + label > budget:
            return False
        kept.add(key)
        labels.add(key[0])
        used += cost[key] + label
        return True

    if whole_first:  # the best-ranked chunk whole: a paraphrase's answer is usually there
        for j in range(len(spans[0])):
            take((0, j))
    for key in ranked:
        take(key)
    for i, j in [k for k in ranked if k in kept]:  # then the sentence before each (after, for a first one)
        neighbour = (i, j - 1) if j > 0 else (i, j + 1)
        if neighbour in text_of:
            take(neighbour)

    out = []
    for i in sorted(labels):
        js = sorted(j for (ci, j) in kept if ci == i)
        parts, prev = [], None
        for j in js:
            if prev is not None and j != prev + 1:
                parts.append("…")
            parts.append(text_of[(i, j)])
            prev = j
        if js and js[0] > 0:
            parts.insert(0, "…")
        if js and js[-1] < len(spans[i]) - 1:
            parts.append("…")
        out.append(Excerpt(i, "".join(parts), tuple(spans[i][j] for j in js)))
    return out
