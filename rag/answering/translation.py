"""What the model is given to translate a checked Chinese answer into English, and whether its
translation kept what the answer says.

A small model translating "净利润11.3亿元" writes "11.3 billion yuan" (亿 is a hundred million,
so 1.13 billion), and renders 王海林 as "Production Manager" or a name that sounds alike. So
before translation each figure with 万/亿 gets its English scale beside it ("11.3亿元 (1.13
billion)") and each person's name its pinyin ("王海林 (Wang Hailin)"), worked out in code;
the translation is faithful when every figure is kept (as written or in its English scale),
no other figure appears, none is scaled otherwise than the answer states it (``misscaled``), every [n] marker is kept, and every name is kept in characters or pinyin.

Shortcut: people are jieba's nr words (it tags some places too; their pinyin does no harm).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answering.answerability import UNITS_PATTERN
from rag.answering.arithmetic import MAGNITUDE, quantities
from rag.text import mark_numbers, numbers

_SCALED_RE = re.compile(rf"(\d+(?:\.\d+)?)\s*(万亿|亿|万)(?:余|多)?(?:{UNITS_PATTERN})?")


def english_scale(number: str, magnitude: str) -> str:
    """"11.3", "亿" -> "1.13 billion"; "5.5", "万" -> "55,000"; "3200", "万" -> "32 million"."""
    value = float(number) * MAGNITUDE[magnitude]
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{round(value / size, 4):g} {word}"
    return f"{value:,.0f}"


_EN_SCALED_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(trillion|billion|million|thousand)\b", re.I)
_EN_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def misscaled(english: str, chinese: str) -> list[str]:
    """English figures written with a scale word ("11.3 billion") whose value, at the precision
    written, the Chinese text does not state (it says 11.3亿: 1.13 billion)."""
    values = [q.value for q in quantities(chinese)]
    out = []
    for m in _EN_SCALED_RE.finditer(english):
        number, scale = m.group(1), _EN_SCALE[m.group(2).lower()]
        digits = len(number.split(".")[1]) if "." in number else 0
        if not any(round(v / scale, digits) == float(number) for v in values):  # rounding is fine: 3215万 ~ 32 million
            out.append(m.group(0))
    return out


def pinyin_name(name: str) -> str:
    """王海林 -> "Wang Hailin": the surname, then the given name as one word."""
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(name)
    return " ".join(filter(None, [syllables[0].capitalize(), "".join(syllables[1:]).capitalize()]))


def _people(text: str) -> list[str]:
    """jieba's nr words; a one-character nr (a surname, 王) joined with the one- or two-character
    word after it (海林), which jieba often tags as another kind of word."""
    import jieba.posseg

    words = [w for w in jieba.posseg.lcut(text) if w.word.strip()]
    found = []
    for i, w in enumerate(words):
        if w.flag != "nr":
            continue
        if len(w.word) >= 2:
            found.append(w.word)
        elif i + 1 < len(words) and len(words[i + 1].word) <= 2 and words[i + 1].flag[:1] in ("n",):
            found.append(w.word + words[i + 1].word)
    return list(dict.fromkeys(found))


@dataclass
class Prepared:
    text: str  # what the model translates
    source: str  # the checked answer
    figures: list[set[str]] = field(default_factory=list)  # per figure: the numbers that may state it
    names: dict[str, str] = field(default_factory=dict)  # Chinese name -> pinyin


def prepare(answer: str) -> Prepared:
    """The checked answer with each 万/亿 figure's English scale and each person's pinyin beside it."""
    figures: list[set[str]] = []

    def scale(m: re.Match) -> str:
        english = english_scale(m.group(1), m.group(2))
        figures.append({m.group(1)} | numbers(english))
        return f"{m.group(0)} ({english})"

    text = _SCALED_RE.sub(scale, answer)
    scaled = {n for group in figures for n in group}
    figures += [{n} for n in numbers(answer) - scaled]
    names = {name: pinyin_name(name) for name in _people(answer)}
    for name, pinyin in names.items():
        text = text.replace(name, f"{name} ({pinyin})", 1)
    return Prepared(text, answer, figures, names)


def faithful(prepared: Prepared, english: str, months: set[str] = frozenset()) -> bool:
    """Did the translation keep every figure (``months``: numbers it may write as month names),
    add none, keep the [n] markers and every name (characters or pinyin)?"""
    found = numbers(english)
    allowed = {n for group in prepared.figures for n in group}
    if not english or not found <= allowed or misscaled(english, prepared.source):
        return False
    if any(not (group & found) and not group <= months for group in prepared.figures):
        return False
    if set(mark_numbers(english)) != set(mark_numbers(prepared.source)):
        return False
    flat = re.sub(r"[\s-]", "", english).casefold()
    return all(name in english or re.sub(r"\s", "", pinyin).casefold() in flat for name, pinyin in prepared.names.items())
