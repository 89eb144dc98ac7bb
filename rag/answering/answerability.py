"""Answerability: does a supported answer address what the question asks?

A sentence can be true to its source and still not answer the question: asked how
many *trucks* the bureau owns, a small model happily cites "每天出动12台次" (daily
truck *trips*). Two checks catch such near-miss answers:

* **measure words** -- a question asking 多少/几 + a measure word (辆, 名, 次, 家 ...)
  or 几成 / 多大年纪 / 多久 is answered only if the answer states a number with a
  measure word of the same kind (名 = 人 = 位; 次 = 人次; 台次 is trips, not
  vehicles). English questions are read directly ("how many garbage *trucks*",
  "how old", "what share"), not through their machine translation. ``个``, unknown
  measure words and questions with any quantity of an unknown kind are not judged.
* **the asked role** -- "退役军人志愿先锋队的队长是谁?" is answered only by chunks
  that mention a 队长: a volunteer's name from a chunk about volunteers is not
  the captain's. The role is the last word before 是谁 / 叫什么 / 是哪位; vague
  ones (人, 负责人, 名字) are not judged.
* **named entities** -- names the question mentions (e.g. a village resolved from
  English pinyin by ``pinyin_names``) must occur in the chunks the answer cites, so a
  fact about another village is not passed off as the answer.

Shortcut: measure words are a hand-written table of common Chinese classifiers,
grouped by what they count; they are not parsed.
"""

from __future__ import annotations

import functools
import re

from rag.text import NUMBER_PATTERN, is_cjk, strip_marks

# Each group counts one kind of thing; a question and its answer must agree on it.
UNIT_GROUPS: dict[str, tuple[str, ...]] = {
    "people": ("名", "人", "位"),
    "machines": ("辆", "台", "部", "架"),  # vehicles and other machines
    "vessels": ("艘",),  # boats and ships are no vehicles (辆)
    "times": ("次", "人次", "车次", "台次", "趟", "轮", "批次"),
    "organisations": ("家", "所"),
    "teams": ("支", "队"),
    "households": ("户",),
    "money": ("元", "万元", "亿元", "千元"),
    "duration": ("天", "日", "小时", "个小时", "分钟", "分", "秒", "周", "个月", "年"),  # 分: a minute (1小时30分) or, as a score, no count either
    "distance": ("公里", "千米", "米"),
    "share": ("%", "％", "成", "百分之"),
    "age": ("岁",),
    "items": ("张", "份", "件", "套", "箱", "册", "本", "篇", "座", "间", "棵", "株", "只", "头", "枚"),
    "kinds": ("种", "类"),  # kinds, titles, varieties: 25万种图书 is not 25万册
    "weight": ("吨", "公斤", "千克", "斤", "克"),
    "area": ("亩", "公顷", "平方米", "平方公里"),
    "volume": ("立方米", "升"),
    "lines": ("条",),  # long or listed things: routes, roads, lines (23条航线 is no count of airlines, 52家)
    "trains": ("列",),  # whole trains, not their carriages
    "carriages": ("节",),  # carriages or sections (6节编组 is a train's make-up, not a count of trains)
}
_UNIT_OF = {u: g for g, units in UNIT_GROUPS.items() for u in units}
_UNITS_RE = "|".join(sorted(map(re.escape, _UNIT_OF), key=len, reverse=True))
UNITS_PATTERN = _UNITS_RE  # any known measure word, longest first


def unit_group(unit: str) -> str | None:
    """What a measure word counts ("名" -> "people"), None for an unknown one."""
    return _UNIT_OF.get(unit)


def same_kind(a: str, b: str) -> bool:
    return a == b or (unit_group(a) is not None and unit_group(a) == unit_group(b))
_NUM = NUMBER_PATTERN
# nouns that name an amount of money: what they measure is counted in 元
MONEY_NOUNS = ("收入", "营收", "利润", "产值", "销售额", "营业额", "成交额", "交易额", "金额", "投资", "资金", "经费",
               "费用", "成本", "税收", "工资", "收益", "补贴", "奖金", "票价", "售价", "价格")

# 多少辆 / 几个小时 / 多少名 (个 before a measure word is skipped: 几个小时 -> 小时)
_ASKED_RE = re.compile(rf"(?:多少|几)(?:个(?=小时|月))?({_UNITS_RE})")
_ASKED_PHRASES = {
    "share": re.compile(r"几成|百分之几|多大比例|比例是多少|占比"),
    "age": re.compile(r"多大年纪|多大岁数|年龄"),
    "duration": re.compile(r"多久|多长时间"),
    # a noun naming an amount of money asked for (销售收入是多少, 投入了多少资金) asks for money
    "money": re.compile(
        rf"多少钱|(?:{'|'.join(MONEY_NOUNS)})(?:的|总额)?(?:是|为|有|达到|达|约|大约|共|一共|总共|共计|合计|了)*多少"
        rf"|多少(?:{'|'.join(MONEY_NOUNS)})|金额"
    ),
}
_STATED_RE = re.compile(rf"{_NUM}\s*(?:余|多)?\s*({_UNITS_RE})")
_PERCENT_RE = re.compile(rf"百分之{_NUM}|{_NUM}\s*[%％]")


_ANY_ASKED_RE = re.compile(r"多少|几(?!乎)")

# English: the noun after "how many" names what is counted ("how many garbage trucks does ...")
EN_NOUNS: dict[str, tuple[str, ...]] = {
    "people": (
        "people", "persons", "workers", "employees", "staff", "residents", "villagers", "veterans",
        "volunteers", "officers", "police", "policemen", "personnel", "doctors", "nurses", "members",
        "cadres", "drivers", "patients", "soldiers", "guards", "students", "teachers", "children",
    ),
    "machines": ("trucks", "vehicles", "cars", "buses", "lorries", "vans"),
    "times": ("tests", "times", "trips", "rounds", "inspections", "checks"),
    "organisations": ("companies", "enterprises", "firms", "businesses", "suppliers", "factories"),
    "teams": ("teams", "squads", "groups"),
    "households": ("households", "families", "homes"),
    "items": ("passes", "permits", "masks", "certificates", "suits"),
    "duration": ("days", "hours", "minutes", "weeks", "months", "years"),
    "distance": ("kilometres", "kilometers", "km", "metres", "meters", "miles"),
}
_EN_KIND = {w: g for g, words in EN_NOUNS.items() for w in words}
_EN_IRREGULAR = {"people", "police", "personnel", "staff", "children", "km"}
_EN_STOP = set(
    "do does did is are was were have has had will would can could of in on at for from to by with per "
    "the a an there that which who this these those and or".split()
)
_EN_PHRASES = {
    "age": re.compile(r"\bhow old\b", re.I),
    "money": re.compile(r"\bhow much money\b|\bhow much\b[^?]*\b(cost|spend|spent|pay|paid)\b", re.I),
    "share": re.compile(r"\bwhat (share|percentage|proportion|fraction|percent)\b", re.I),
    "distance": re.compile(r"\bhow (long|far)\b[^?]*\b(km|kilomet\w*|metres|meters|miles)\b", re.I),
    "duration": re.compile(r"\bhow long\b", re.I),
}


@functools.lru_cache(maxsize=256)  # a question's measure words are asked about several times per answer
def _word_starts(text: str) -> dict[int, str]:
    import jieba

    return {start: word for word, start, _ in jieba.tokenize(text)}


def _asked_zh(question: str) -> set[str] | None:
    # a measure word does not begin a longer word: 多少本书 counts books, 多少本科生 asks for students
    # (a word of one more character, 辆车 or 本书, is the measure word and its noun run together)
    starts = _word_starts(question)
    asked = [m for m in _ASKED_RE.finditer(question) if len(starts.get(m.start(1), "")) <= len(m.group(1)) + 1]
    groups = {_UNIT_OF[m.group(1)] for m in asked}
    rest = "".join(question[a:b] for a, b in zip([0] + [m.end() for m in asked], [m.start() for m in asked] + [len(question)]))
    for group, rx in _ASKED_PHRASES.items():
        if rx.search(rest):
            groups.add(group)
            rest = rx.sub("", rest)
    return None if _ANY_ASKED_RE.search(rest) else groups  # 多少村民: a kind we cannot tell


def _asked_en(question: str) -> set[str] | None:
    groups: set[str] = set()
    for group, rx in _EN_PHRASES.items():
        if rx.search(question) and not (group == "duration" and "distance" in groups):
            groups.add(group)
    for m in re.finditer(r"\bhow many\b", question, re.I):
        head = None
        for word in re.findall(r"[A-Za-z-]+", question[m.end() :])[:4]:
            word = word.lower()
            if word in _EN_STOP:
                break
            if word in _EN_IRREGULAR or (word.endswith("s") and not word.endswith("ss")):
                head = word
                break
        if head not in _EN_KIND:
            return None
        groups.add(_EN_KIND[head])
    if re.search(r"\bhow much\b", question, re.I) and "money" not in groups:
        return None
    return groups


def asked_groups(question: str) -> set[str] | None:
    """What kinds of quantity the question asks for: empty when it asks none, None when it
    asks one whose kind cannot be told (then nothing is judged)."""
    return _asked_zh(question) if is_cjk(question) else _asked_en(question)


def stated_groups(answer: str) -> set[str]:
    """What kinds of quantity the answer states (a number followed by a known measure word)."""
    groups = {_UNIT_OF[m.group(1)] for m in _STATED_RE.finditer(answer)}
    if _PERCENT_RE.search(answer):
        groups.add("share")
    return groups


def has_number(text: str) -> bool:
    return bool(re.search(rf"{_NUM}", text))


def quantity_mismatch(question: str, answer: str) -> str | None:
    """Why ``answer`` does not give the quantity ``question`` asks for, or None when it may.

    Only judged when the question asks for quantities of known kinds only; then the
    answer must state some number, and if any of its numbers carry a known measure
    word, at least one must be of an asked kind.
    """
    asked = asked_groups(question)
    if not asked:
        return None
    answer = strip_marks(answer)
    stated = stated_groups(answer)
    if not has_number(answer):
        return "the question asks for a quantity and the answer states none"
    if stated and not stated & asked:
        return f"the question asks for {'/'.join(sorted(asked))}, the sources give {'/'.join(sorted(stated))}"
    return None


_WHO_RE = re.compile(r"([\u4e00-\u9fff]{2,})(?:是谁|叫什么名字|叫什么|是哪位|姓什么|的名字是什么|的名字叫什么|的姓名)")
_FUNCTION_TAGS = set("dupcryz")  # jieba part-of-speech tags: adverbs, particles, pronouns ...
_VAGUE_ROLES = {"人", "人员", "负责人", "名字", "姓名", "同志", "那位", "这位", "领导", "人物", "一位", "哪位", "谁"}


def asked_role(question: str) -> str | None:
    """The role a who-question asks about (队长 in "…的队长是谁?"), or None."""
    import jieba.posseg

    m = _WHO_RE.search(question)
    if not m:
        return None
    words = [w for w in jieba.posseg.lcut(m.group(1)) if w.word.strip()]
    while words and words[-1].flag[:1] in _FUNCTION_TAGS:  # 分别, 又, 的 ... are not the role
        words.pop()
    role = words[-1].word if words else ""
    return role if len(role) >= 2 and role not in _VAGUE_ROLES else None


def missing_entities(entities: list[str], cited_text: str) -> list[str]:
    """Entities named in the question that the cited chunks never mention."""
    return [e for e in entities if e not in cited_text]


def role_in(role: str, text: str) -> bool:
    """Does ``text`` name ``role``, in full or abbreviated? A Chinese abbreviation keeps characters
    of the full title in order (村支书 for 村党支部书记), so the role's characters standing in order
    within a short stretch of the text count. 副 before a role names the deputy, another role
    (副总经理 is not 总经理)."""
    deputy = "" if role.startswith("副") else "(?<!副)"
    pattern = deputy + ".{0,3}".join(map(re.escape, role))
    return bool(re.search(pattern, text))
