"""English questions name Chinese people and places in pinyin; find those names in the corpus.

"What is the name of the Party branch secretary of Naizifang village?" -- a small
model translates "Naizifang" into any characters that sound alike (宁化, 奶子坊),
and then neither retrieval nor the checks can see which village is meant. Here
every run of 2-4 Chinese characters in the ingested chunks is indexed by its
toneless pinyin (pypinyin, with its phrase dictionary for polyphones), and the
capitalised words of an English question -- alone or joined with their
capitalised neighbours ("Zhu Jiangao", "Yangguang Jiahe") -- are looked up in it.
A hit is a name the corpus really contains: it is added to the question in
brackets ("Naizifang (乃自房)") before translation, and the answer's citations
must mention it (``rag.answering.answerability``). A place named in pinyin right before a kind
of place ("Anci District") whose pinyin no run of the corpus has is one no document mentions
(``unknown_places``): the chain refuses before asking the model.

Shortcuts: the table is built from all chunk texts on first use (fine for
newspaper-sized corpora, not for millions of characters); when several spellings
share one pinyin the most frequent wins; words under 4 letters are not looked up; a word is
pinyin when pypinyin's syllables spell it, so an English word that does ("Long") counts too.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterable

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_CAPITALISED = re.compile(r"[A-Z][a-z]+(?:-[a-z]+)?")


def build_table(texts: Iterable[str], max_len: int = 4) -> dict[str, str]:
    """pinyin (lower case, no tones, no spaces) -> the most frequent 2..max_len character spelling."""
    from pypinyin import lazy_pinyin

    counts: dict[str, Counter] = {}
    for text in texts:
        for run in _CJK_RUN.findall(text):
            syllables = lazy_pinyin(run)
            if len(syllables) != len(run):  # pypinyin keeps one syllable per character
                continue
            for n in range(2, max_len + 1):
                for i in range(len(run) - n + 1):
                    key = "".join(syllables[i : i + n])
                    counts.setdefault(key, Counter())[run[i : i + n]] += 1
    return {key: spellings.most_common(1)[0][0] for key, spellings in counts.items()}


def find_names(question: str, table: dict[str, str]) -> list[tuple[str, str]]:
    """(English spelling, Chinese name) for the pinyin names in ``question``, longest first."""
    found: list[tuple[str, str]] = []
    for line in re.split(r"[.?!,;:()\"]", question):
        words = [(m.start(), m.end()) for m in _CAPITALISED.finditer(line)]
        # runs of neighbouring capitalised words ("Zhu Jiangao"), separated by spaces only
        runs, current = [], []
        for span in words:
            if current and line[current[-1][1] : span[0]].strip():
                runs.append(current)
                current = []
            current.append(span)
        if current:
            runs.append(current)
        for run in runs:
            i = 0
            while i < len(run):
                for j in range(len(run), i, -1):  # the longest join first
                    english = line[run[i][0] : run[j - 1][1]]
                    key = re.sub(r"[^a-z]", "", english.lower())
                    if len(key) >= 4 and key in table:
                        found.append((english, table[key]))
                        i = j
                        break
                else:
                    i += 1
    return found


def annotate(question: str, names: list[tuple[str, str]]) -> str:
    """The question with each found name followed by its Chinese spelling: "Naizifang (乃自房)"."""
    for english, chinese in names:
        question = question.replace(english, f"{english} ({chinese})", 1)
    return question


# English words naming a kind of place: the pinyin right before one is the place's own name
PLACE_HEADS = (
    "District", "County", "Village", "Town", "Township", "Community", "Street", "Province", "City",
    "Port", "Harbour", "Harbor", "Reservoir", "Lake", "River", "Station",
)


PLACE_RE = re.compile(r"((?:[A-Z][a-z]+\s+)*?[A-Z][a-z]+)\s+(" + "|".join(PLACE_HEADS) + r")\b")


@functools.lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable: the first reading pypinyin's dictionary gives each character
    of the common CJK block (read from the table, not converted character by character)."""
    from pypinyin import Style
    from pypinyin.constants import PINYIN_DICT
    from pypinyin.style import convert

    return frozenset(convert(v.split(",")[0], Style.NORMAL, True) for c, v in PINYIN_DICT.items() if 0x4E00 <= c < 0x9FA6)


def is_pinyin(word: str) -> bool:
    """Can ``word`` be cut into pinyin syllables ("Anci" = an + ci; "Vietnam" cannot)?"""
    word, syllables = word.lower(), _syllables()
    ok = [True] + [False] * len(word)
    for end in range(1, len(word) + 1):
        ok[end] = any(ok[start] and word[start:end] in syllables for start in range(max(0, end - 6), end))
    return ok[-1]


def unknown_places(question: str, table: dict[str, str]) -> list[str]:
    """Places an English question names in pinyin before a kind of place ("Anci District") whose
    pinyin no run of the corpus's characters has: the documents never mention them."""
    out = []
    for m in PLACE_RE.finditer(question):
        words = m.group(1).split()
        while words and not is_pinyin(words[0]):
            words = words[1:]  # "Langfang's", "The": only the pinyin words right before the head
        name = "".join(words).lower()
        if words and all(is_pinyin(w) for w in words) and len(name) >= 4 and name not in table:
            out.append(f"{' '.join(words)} {m.group(2)}")
    return out
