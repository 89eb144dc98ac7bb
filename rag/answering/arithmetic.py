"""Figures an answer computes from the sources: a sum, a difference, a share of a total.

Asked "2023年比2022年多交付了多少辆?", a model writes the difference -- a number no source
states, which the citation check would drop. Such a figure is kept only when code recomputes
it from two figures the sources state, and the computation is shown beside it
("18.6万辆 − 13.1万辆 = 5.5万辆"). A sum or difference takes two figures with the same measure
word; a share takes a figure and a percentage (805人 ÷ 60% ≈ 1342人). Only a question that asks
for a computation (``asks_calculation``) is answered this way, so a stated figure is never
replaced by a coincidence of arithmetic.

A difference or sum whose result the model got wrong is computed here from the two figures its
reply states (``compute``): a small model names the right figures more often than it subtracts.

Shortcut: two operands and one operation; the measure word is the known unit or jieba's next
word after the number, and two measure words agree when they are one word or count one kind of
thing (人 and 名); the computed value must equal the answer's figure at the precision the
answer writes it (trailing zeros of an approximate figure, 约1300, count as rounding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import permutations

from rag.answering.answerability import UNITS_PATTERN, same_kind

MAGNITUDE = {"千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}  # what 1.2万 multiplies by
_QUANTITY_RE = re.compile(rf"(\d+(?:\.\d+)?)\s*(万亿|万|亿|千)?\s*(?:余|多)?\s*({UNITS_PATTERN}|[%％]|[\u4e00-\u9fff]{{1,3}})?")
_APPROX_RE = re.compile(r"约|大约|左右|近|推算|估算|approximately|about|around|roughly", re.I)

# A question asking for a computation: a difference (比…多/少/大…多少, 相差; not 比例, 比重, 比赛), a sum of two named
# things (A和B…加起来/合计), or a figure derived from a ratio (按…比例推算).
_DIFFERENCE_RE = re.compile(
    r"(?<![同环])比(?![例重率赛分较如])[^?？]{0,40}(多|少|增加|减少|增长|下降|高|低|提高|降低|缩短|延长|大|小|早|晚|长|短|远|近)了?[^?？]{0,6}(多少|几)"
    r"|相差|差距|差额|之差|差了?多少|多出|少了多少|多了多少"
    r"|\bhow (many|much) (more|fewer|less)\b|\bdifference\b|\b(more|fewer|less) than\b",
    re.I,
)
_SUM_RE = re.compile(r"加起来|合计|合起来|之和|总和|总计|一共|总共|共计|\bin total\b|\bcombined\b|\baltogether\b|\btogether\b", re.I)
_BOTH_RE = re.compile(r"[和与及、]|\band\b", re.I)
_RATIO_RE = re.compile(r"比例|推算|估算|按[^?？]{0,10}(计算|算)|\bratio\b|\bproportion\b", re.I)


def asks_calculation(question: str) -> set[str]:
    """The operations a question asks for: {"difference", "sum", "ratio"} (empty: none)."""
    out = set()
    if _DIFFERENCE_RE.search(question):
        out.add("difference")
    if _SUM_RE.search(question) and _BOTH_RE.search(question):
        out.add("sum")
    if _RATIO_RE.search(question):
        out.add("ratio")
    return out


@dataclass(frozen=True)
class Quantity:
    raw: str  # as written: "18.6万辆"
    number: str  # "18.6"
    value: float  # 186000.0
    unit: str  # "辆", "%", "标准箱"
    magnitude: str  # "万", or ""

    @property
    def share(self) -> bool:
        return self.unit in ("%", "％")


def quantities(text: str) -> list[Quantity]:
    """The figures ``text`` states with their measure words (digits only; a year or a date is
    not a quantity)."""
    out = []
    for m in _QUANTITY_RE.finditer(text):
        number, magnitude, unit = m.group(1), m.group(2) or "", m.group(3) or ""
        if unit[:1] in ("年", "月", "日", "号", "时") or text[m.start() - 1 : m.start()] in ("第",):
            continue  # 2023年, 3月, 5号线, 10时, 第十五届: not amounts
        if unit and not re.fullmatch(UNITS_PATTERN + "|[%％]", unit):
            unit = _first_word(unit)
        value = float(number) * MAGNITUDE.get(magnitude, 1.0)
        out.append(Quantity(m.group(0).strip(), number, value, unit, magnitude))
    return out


def _first_word(text: str) -> str:
    import jieba

    return next(iter(jieba.lcut(text)), text)


def _precision(number: str, approximate: bool) -> int:
    """Decimal places the answer commits to: 5.5 -> 1; 350 -> 0; an approximate 1300 -> -2."""
    if "." in number:
        return len(number.split(".")[1])
    return -(len(number) - len(number.rstrip("0"))) if approximate else 0


def _format(value: float, magnitude: str, digits: int) -> str:
    """``value`` in units of ``magnitude`` (万: ten thousands), at the answer's precision."""
    scaled = value / MAGNITUDE.get(magnitude, 1.0)
    return f"{round(scaled, digits):.{max(digits, 0)}f}"


@dataclass(frozen=True)
class Derivation:
    target: Quantity
    operands: tuple[Quantity, Quantity]
    shown: str  # "18.6万辆 − 13.1万辆 = 5.5万辆"


def derive(target: Quantity, candidates: list[Quantity], asked: set[str], approximate: bool = False) -> Derivation | None:
    """Two of ``candidates`` that give ``target`` by an operation the question asks for."""
    digits = _precision(target.number, approximate)
    scale = MAGNITUDE.get(target.magnitude, 1.0)

    def equal(value: float) -> bool:
        return round(value / scale, digits) == round(target.value / scale, digits)

    same = [q for q in dict.fromkeys(candidates) if same_kind(q.unit, target.unit) and not q.share]
    shares = [q for q in dict.fromkeys(candidates) if q.share]
    unit = f"{target.magnitude}{target.unit}"
    for a, b in permutations(same, 2):
        if a.value == b.value:
            continue
        if "difference" in asked and a.value > b.value and equal(a.value - b.value):
            return Derivation(target, (a, b), f"{a.raw} − {b.raw} = {_format(a.value - b.value, target.magnitude, digits)}{unit}")
        if "sum" in asked and equal(a.value + b.value):
            return Derivation(target, (a, b), f"{a.raw} + {b.raw} = {_format(a.value + b.value, target.magnitude, digits)}{unit}")
    if "ratio" in asked:
        for a in same:
            for p in shares:
                if not float(p.number):
                    continue  # 0% is a share of nothing
                part, whole = a.value * float(p.number) / 100, a.value / (float(p.number) / 100)
                mark = "≈" if approximate else "="
                if equal(whole):
                    return Derivation(target, (a, p), f"{a.raw} ÷ {p.raw} {mark} {_format(whole, target.magnitude, digits)}{unit}")
                if equal(part):
                    return Derivation(target, (a, p), f"{a.raw} × {p.raw} {mark} {_format(part, target.magnitude, digits)}{unit}")
    return None


_FIGURE = r"\d+(?:\.\d+)?"


def compute(asked: set[str], operands: list[Quantity]) -> Derivation | None:
    """The difference or sum the question asks for, computed here from the two figures an answer
    states for it (a small model names the right figures more often than it subtracts them). The
    two must count one kind of thing; a difference is the larger less the smaller, written at the
    finer precision of the two."""
    distinct = list({q.value: q for q in operands}.values())
    if len(distinct) != 2 or not {"difference", "sum"} & asked:
        return None
    a, b = sorted(distinct, key=lambda q: q.value, reverse=True)
    if a.share or b.share or not same_kind(a.unit, b.unit):
        return None
    magnitude = a.magnitude if a.magnitude == b.magnitude else ""
    scale = MAGNITUDE.get(magnitude, 1.0)
    digits = max(len(f"{q.value / scale:.6g}".partition(".")[2]) for q in (a, b))
    op, value = ("−", a.value - b.value) if "difference" in asked else ("+", a.value + b.value)
    number = _format(value, magnitude, digits)
    raw = f"{number}{magnitude}{a.unit}"
    target = Quantity(raw, number, value, a.unit, magnitude)
    return Derivation(target, (a, b), f"{a.raw} {op} {b.raw} = {raw}")


def approximate(question: str, sentence: str) -> bool:
    return bool(_APPROX_RE.search(question) or _APPROX_RE.search(sentence))


def with_calculation(sentence: str, shown: str) -> str:
    """The sentence with its computation in brackets before its end mark, unless the sentence
    already writes it out (an equals sign and every figure of the computation)."""
    if re.search(r"[=＝]", sentence) and set(re.findall(_FIGURE, shown)) <= set(re.findall(_FIGURE, sentence)):
        return sentence
    body = sentence.rstrip("。.！!？?；;")
    end = sentence[len(body) :]
    return f"{body}（{shown}）{end}" if re.search(r"[\u4e00-\u9fff]", sentence) else f"{body} ({shown}){end}"
