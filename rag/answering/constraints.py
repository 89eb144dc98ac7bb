"""Does a supporting sentence answer *this* question? General rules of the language, not of a set.

A sentence can be true and still answer another question: another year's figure, another
person's number, a daily figure for an annual question, a share for a growth rate. A
question's constraints (``of_question``) must be covered (``uncovered``):

* **years and dates** it names: a sentence that names years must name the asked one; one
  that names none must stand in a chunk that does (a figure is about the time it is given for);
* **names** -- places, people, organisations (jieba's part-of-speech tags ns/nr/nt/nz) -- must
  be in the sentence's document, except names so common in the corpus that they are its
  setting (the city a whole page is about);
* **subject**: a good part of the question's rarity-weighted terms that the corpus knows must be
  in the chunk (a passage about veterans does not answer a question about students); a question
  of several parts is judged by the part the chunk covers best;
* **what is counted**: in a count question (多少/几 + measure word + noun) the noun names what is
  counted; a chunk that never mentions it (when the corpus uses the word at all) cannot give
  its count, however many of the question's other words it shares;
* **the kind of measure**: a question about growth (增长/增幅/同比) needs a sentence stating a
  change, one about a share (占比/比重/比例) a sentence stating a share; a figure stated per day
  (日均/每天) or per person (人均) does not answer a question that asks neither;
* **the measure word**: a number is compared with its unit (``unit_clash``): 64岁 is an age,
  not 64年 of service; asked 多少人, 52万人次 (people-times) answers only where the sentence
  gives no plain head count.

Shortcut: names come from jieba's tagger, which misses some and tags some common words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.answering import answerability
from rag.answering.citations import key_terms
from rag.text import NUMBER_PATTERN, is_cjk

SUBJECT_SHARE = 0.4  # rarity-weighted share of the question's known terms (of its best-covered part) the chunk must hold
NAME_TAGS = ("nr", "ns", "nt", "nz")
MEASURES: dict[str, tuple[str, ...]] = {
    "growth": ("增长", "增幅", "同比", "增加", "上涨", "提高", "上升", "下降", "减少", "增速", "翻番"),
    "share": ("占比", "比重", "份额", "比例", "占全", "占总"),
    "daily": ("日均", "每天", "每日", "单日", "一天"),
    "per_person": ("人均",),
}
# kinds that change what a number means when the question does not ask for them
_QUALIFYING = ("daily", "per_person")
_YEAR_RE = re.compile(r"((?:19|20)\d{2})\s*年?|([〇零一二三四五六七八九]{4})\s*年")
_DATE_RE = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
@dataclass
class Asked:
    years: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)  # per part of the question: known term -> weight
    measures: set[str] = field(default_factory=set)
    counted: list[str] = field(default_factory=list)  # what a count question counts (words the corpus uses)
    question: str = ""


_CN_DIGIT = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0"}


def years(text: str) -> set[str]:
    """The years a text names: 2022年, 2022, 二〇二二年."""
    out = set()
    for m in _YEAR_RE.finditer(text):
        out.add(m.group(1) or "".join(_CN_DIGIT[c] for c in m.group(2)))
    return out


def dates(text: str) -> set[str]:
    return {f"{int(m.group(1))}月{int(m.group(2))}日" for m in _DATE_RE.finditer(text)}


def measures(text: str) -> set[str]:
    return {kind for kind, words in MEASURES.items() if any(w in text for w in words)}


# Chinese names of places and organisations are a specific part before a generic head (专名 + 通名):
# 星驰 + 汽车, 江临 + 机场, 乃自房 + 村. The word before such a head is taken as a name.
NAME_HEADS = (
    "公司", "集团", "汽车", "银行", "机场", "大学", "学院", "医院", "学校", "中学", "小学", "社区", "小区",
    "村", "镇", "乡", "县", "区", "市", "省", "港", "站", "馆", "厂", "局", "委", "街道",
)
_NOT_NAME_TAGS = ("m", "r", "u", "p", "d", "c", "q", "x", "t", "f")


def names(text: str) -> list[str]:
    """Names in ``text``: words jieba tags as names (nr/ns/nt/nz), and the specific part before a
    generic head noun (``NAME_HEADS``)."""
    import jieba.posseg

    words = [w for w in jieba.posseg.lcut(text) if w.word.strip()]
    found = [w.word for w in words if w.flag in NAME_TAGS and len(w.word) >= 2]
    for before, head in zip(words, words[1:]):
        if head.word in NAME_HEADS and len(before.word) >= 2 and is_cjk(before.word):
            if not before.flag.startswith(_NOT_NAME_TAGS):
                found.append(before.word)
    return list(dict.fromkeys(found))


_COUNT_WORDS = ("多少", "几")
_NOUN_TAGS = ("n", "l", "nz", "nt", "ns", "nr")


def counted(question: str) -> list[str]:
    """The noun a count question counts: the first noun within three words after 多少/几 and its
    measure word ("多少名未返校大学生" -> 大学生; "多少辆新能源车" -> 新能源); none when the
    measure word ends the question ("多少人次?")."""
    import jieba.posseg

    words = [w for w in jieba.posseg.lcut(question) if w.word.strip()]
    out = []
    for i, w in enumerate(words):
        if w.word not in _COUNT_WORDS or i + 1 >= len(words):
            continue
        for after in words[i + 2 : i + 5]:  # skip the measure word
            if not is_cjk(after.word) or after.flag == "x":
                break
            if after.flag in _NOUN_TAGS and len(after.word) >= 2:
                out.append(after.word)
                break
    return out


def of_question(
    question: str,
    common: Callable[[str], bool] = lambda word: False,
    known: Callable[[str], float | None] = lambda term: None,
) -> Asked:
    """The constraints a supporting sentence must cover; ``common(word)`` says a name is the corpus's
    setting, ``known(term)`` gives a term's rarity weight (None for words the corpus never uses)."""
    if not is_cjk(question):
        return Asked(question=question, years=years(question))
    # a question of several parts ("…是谁?…有多少?") is answered part by part
    parts = [p for p in re.split(r"[?？;；]", question) if p.strip()] or [question]
    return Asked(
        years=years(question),
        dates=dates(question),
        names=[n for n in names(question) if not common(n)],
        parts=[{t: w for t in key_terms(p) if (w := known(t))} for p in parts],
        measures=measures(question),
        counted=[w for w in counted(question) if known(w) is not None and not common(w)],
        question=question,
    )


def _clause(sentence: str, claim: str) -> str:
    """The clause of ``sentence`` holding the claim's first number (the whole sentence without one)."""
    nums = re.findall(r"\d+(?:\.\d+)?", claim)
    for clause in re.split(r"[,，;；]", sentence):
        if nums and nums[0] in clause:
            return clause
    return sentence


def uncovered(asked: Asked, claim: str, sentence: str, context: str, document: str = "") -> str | None:
    """Why ``sentence`` (in ``context``: its chunk and section; in ``document``) does not answer
    the asked question."""
    for label, asked_set, found in (("year", asked.years, years), ("date", asked.dates, dates)):
        stated = found(sentence)
        for value in sorted(asked_set):
            if (stated and value not in stated) or (not stated and value not in found(context)):
                where = f"the source speaks of {', '.join(sorted(stated))}" if stated else "the source does not say"
                return f"the question asks about {label} {value}; {where}"
    missing = [n for n in asked.names if n not in context and n not in document]
    if missing:
        return f"the source does not mention {', '.join(missing)}"
    absent = [w for w in asked.counted if w not in context]
    if absent:
        return f"the source does not mention {', '.join(absent)}, which the question counts"
    coverage = [(sum(w for t, w in terms.items() if t in context) / sum(terms.values()), terms)
                for terms in asked.parts if terms]
    if coverage and max(c for c, _ in coverage) < SUBJECT_SHARE:
        gone = [t for t in max(coverage, key=lambda x: x[0])[1] if t not in context]
        return f"the source is about something else (no {', '.join(gone[:3])})"
    for kind in sorted(asked.measures):
        if kind not in measures(sentence):
            return f"the question asks for a {kind.replace('_', ' ')} figure; the source gives none"
    if re.search(r"\d", claim):  # the claim states a figure: per day or per person only when asked
        clause = _clause(sentence, claim)
        for kind in _QUALIFYING:
            if kind in measures(clause) and kind not in asked.measures:
                return f"the source gives a {kind.replace('_', ' ')} figure, which the question does not ask for"
    return quantity_clash(asked.question, claim, sentence)


_STATED_RE = re.compile(rf"({NUMBER_PATTERN})\s*(?:余|多)?\s*({answerability.UNITS_PATTERN})")


def stated(text: str) -> list[tuple[str, str]]:
    """(number, measure word) pairs: "64岁" -> ("64", "岁")."""
    return [(m.group(1), m.group(2)) for m in _STATED_RE.finditer(text)]


def unit_clash(claim: str, sentence: str, question: str = "") -> str | None:
    """A number of the claim that the sentence gives only with a measure word of another kind
    (quantities the claim repeats from the question are the question's, not claims)."""
    in_sentence = stated(sentence)
    echoed = set(stated(question))
    for num, unit in stated(claim):
        if (num, unit) in echoed:
            continue
        units = [u for n, u in in_sentence if n == num]
        if units and not any(answerability.same_kind(unit, u) for u in units):
            return f"{num}{unit} in the claim is {num}{units[0]} in the source"
    return None


def quantity_clash(question: str, claim: str, sentence: str) -> str | None:
    """The claim gives a quantity of another kind than the question asks (``answerability``);
    people-times answer a head-count question only where the sentence gives no head count."""
    parts = [p for p in re.split(r"[?？;；]", question) if p.strip()] or [question]
    whys = [answerability.quantity_mismatch(p, claim) for p in parts]
    if any(why is None for why in whys):  # a question of several parts: the claim may answer any one
        return None
    why = whys[0]
    asked = answerability.asked_groups(question) or set()
    if "people" in asked and any(u == "人次" for _, u in stated(claim)):
        if not any(answerability.unit_group(u) == "people" for _, u in stated(sentence)):
            return None
    return why
