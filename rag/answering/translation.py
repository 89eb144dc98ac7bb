"""What the model is given to translate a checked Chinese answer into English, and whether its
translation kept what the answer says.

A small model translating "净利润11.3亿元" writes "11.3 billion yuan" (亿 is a hundred million,
so 1.13 billion), drops [n] markers, and renders 王海林 as "Production Manager" or a name that
sounds alike. So code does those parts: before translation each figure with 万/亿 is written at
its English scale ("1.13 billion 元"), the markers are taken out (``cite`` puts them back, per
sentence), and each person's and local place's name gets its pinyin beside it ("王海林 (Wang
Hailin)", "龙潭 (Longtan)"). The translation is faithful when every figure is kept (as written or
at its English scale), no other figure appears, none is scaled otherwise than the answer states it
(``misscaled``), every name is kept in characters or pinyin, no name in pinyin is added
(``added_names``: "Sichuan Province" beside 汀南省), and sentences citing different sources stay apart.

Shortcuts: people are jieba's nr words and the words after a title (it tags some places too;
their pinyin does no harm); a place is local when jieba's dictionary does not count it as common.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.answering.answerability import UNITS_PATTERN
from rag.answering.arithmetic import MAGNITUDE, quantities
from rag.answering.pinyin_names import PLACE_RE, is_pinyin
from rag.text import common_word, is_cjk, join_cited, numbers, split_cited, split_sentences, strip_marks

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


# a title or role right before a person's name ("县茶叶协会会长钱永福", "生产主管王海林")
_TITLES = (
    "长", "经理", "主任", "书记", "主管", "总监", "总裁", "教授", "记者", "通讯员", "选手", "医生", "护士",
    "老师", "教师", "司机", "冠军", "大户", "院士", "研究员", "工程师", "会计", "委员", "董事",
)


def _people(words: list) -> list[str]:
    """jieba's nr words; a one-character nr (a surname, 王) joined with the one- or two-character
    noun or adjective after it (海林, 浩然), which jieba often tags as another kind of word; and the two or three
    characters right after a title (会长|钱|永福), which jieba may cut into a common word (钱, money)
    and a name. ``words``: the text's jieba words with their tags (``_tagged``)."""
    found = []
    for i, w in enumerate(words):
        if i and words[i - 1].flag == "m":
            continue  # 175|瓦时: a measure word after a number, not a name
        if w.flag == "nr" and len(w.word) >= 2 and not common_word(w.word):  # 师傅 is a word, not a name
            found.append(w.word)
        elif w.flag == "nr" and i + 1 < len(words) and len(words[i + 1].word) <= 2 and words[i + 1].flag[:1] in ("n", "a"):
            found.append(w.word + words[i + 1].word)
        elif w.word.endswith(_TITLES) and w.flag.startswith("n") and i + 2 < len(words):  # 会长, not 增长
            first, second = words[i + 1], words[i + 2]
            if len(first.word) == 1 and len(second.word) <= 2 and first.flag[:1] in ("n",) and second.flag[:1] in ("n",):
                found.append(first.word + second.word)
    return list(dict.fromkeys(found))


def _places(words: list) -> list[str]:
    """Local names of places, brands and bodies (jieba's ns, nz and nt words that the dictionary does
    not count as common words): an English reader knows 北京 and 泰国 by their English names,
    龙潭 and 京客隆 only by their pinyin."""
    return list(dict.fromkeys(
        w.word for w in words
        if w.flag in ("ns", "nz", "nt") and len(w.word) >= 2 and is_cjk(w.word) and not common_word(w.word)
    ))


def _tagged(text: str) -> list:
    """jieba's words of ``text`` with their part-of-speech tags, blanks left out (tagged once for
    both ``_people`` and ``_places``)."""
    import jieba.posseg

    return [w for w in jieba.posseg.lcut(text) if w.word.strip()]


def place_pinyin(name: str) -> str:
    """龙潭 -> "Longtan": one word."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(name)).capitalize()


@dataclass
class Prepared:
    text: str  # what the model translates: no [n] markers, figures at their English scale
    source: str  # the checked answer
    figures: list[set[str]] = field(default_factory=list)  # per figure: the numbers that may state it
    names: dict[str, str] = field(default_factory=dict)  # Chinese name -> pinyin
    cited: list[list[int]] = field(default_factory=list)  # per sentence of the answer: what it cites


def prepare(answer: str) -> Prepared:
    """The checked answer as the model is given it to translate: without its [n] markers (put back
    per sentence by ``cite``), each 万/亿 figure written at its English scale ("2.7亿元" ->
    "270 million 元": a small model copies that, where it turns 2.7亿 into "2.7 billion"), and
    each person's and local place's pinyin beside the name."""
    figures: list[set[str]] = []

    def scale(m: re.Match) -> str:
        english = english_scale(m.group(1), m.group(2))
        figures.append({m.group(1)} | numbers(english))
        unit = m.group(0)[m.end(2) - m.start(0):]
        return f" {english} {unit}".rstrip() + " "

    sentences = split_cited(answer)
    plain = "".join(text for text, _ in sentences)
    text = re.sub(r"\s+(?=[，。、；：,.;:])|(?<=[，。、；：])\s+", "", _SCALED_RE.sub(scale, plain)).strip()
    scaled = {n for group in figures for n in group}
    figures += [{n} for n in numbers(plain) - scaled]
    words = _tagged(plain)
    names = {name: pinyin_name(name) for name in _people(words)}
    names.update({name: place_pinyin(name) for name in _places(words) if not any(name in n for n in names)})
    for name, pinyin in names.items():
        text = text.replace(name, f"{name} ({pinyin})", 1)
    return Prepared(text, answer, figures, names, [cited for _, cited in sentences])


def _digits(found: set[str]) -> set[str]:
    """Numbers without leading zeros: "08" (2小时11分08秒) is 8 in "11 minutes 8 seconds"."""
    return {n.lstrip("0") or "0" if "." not in n else n for n in found}


def faithful(prepared: Prepared, english: str, months: set[str] = frozenset()) -> bool:
    """Did the translation keep every figure (``months``: numbers it may write as month names),
    add none, keep every name (characters or pinyin) and, where the answer's sentences cite
    different sources, its sentences (so ``cite`` can put each marker back)?"""
    english = strip_marks(english)
    found = _digits(numbers(english))
    allowed = _digits({n for group in prepared.figures for n in group})
    if not english or not found <= allowed or misscaled(english, prepared.source):
        return False
    if any(not (_digits(group) & found) and not group <= months for group in prepared.figures):
        return False
    if len({tuple(c) for c in prepared.cited}) > 1 and len(split_sentences(english)) != len(prepared.cited):
        return False
    flat = re.sub(r"[\s-]", "", english).casefold()
    kept = all(name in english or re.sub(r"\s", "", pinyin).casefold() in flat for name, pinyin in prepared.names.items())
    return kept and not added_names(english, prepared.source)


def added_names(english: str, chinese: str) -> list[str]:
    """Places in pinyin ("Sichuan Province") the translation names that the Chinese answer does
    not read as: a small model adds the province or city it associates with a name."""
    found = [w for m in PLACE_RE.finditer(english) if is_pinyin(w := m.group(1).split()[-1])]
    if not found:  # most translations name no place in pinyin: nothing to read the answer for
        return []
    from pypinyin import lazy_pinyin

    read = "".join(lazy_pinyin(chinese)).casefold()
    return [w for w in found if w.casefold() not in read]


def cite(prepared: Prepared, english: str) -> str:
    """The translation with the answer's [n] markers put back: each sentence's own where the answer
    cites different sources per sentence, else all of them at the end of each sentence."""
    english = strip_marks(english)
    spans = split_sentences(english)
    same = len({tuple(c) for c in prepared.cited}) <= 1
    out = []
    for i, (s, e) in enumerate(spans):
        cited = prepared.cited[0] if same and prepared.cited else prepared.cited[i]
        out.append(join_cited(english[s:e], cited))
    return " ".join(out)
