"""Does a supporting sentence answer *this* question? General rules of the language, not of a set.

A sentence can be true and still answer another question: another year's figure, another
person's number, a daily figure for an annual question, a share for a growth rate. A
question's constraints (``of_question``) must be covered (``uncovered``):

* **years and dates** it names (2022年 or a bare 2022, never part of an amount: 2080万元): a
  sentence that names years must name the asked one; one that names none must stand in a chunk
  that does, or, in a chunk naming no year, in a document that does (a figure is about the time
  it is given for); for a question the model translated, only the years the asker wrote count
  (``translated``); 今年 is the report's year (``report_year``), so a sentence naming only other
  years does not answer it, and a source sentence saying 今年 is about that year;
* **names** -- places, people, organisations (jieba's part-of-speech tags ns/nr/nt/nz) -- must
  be in the sentence's document, except names so common in the corpus that they are its
  setting (the city a whole page is about);
* **subject**: a good part of the question's rarity-weighted terms that the corpus knows must be
  in the chunk (a passage about veterans does not answer a question about students); a question
  of several parts is judged by the part the chunk covers best;
* **the kind of measure**: a question about growth (增长/增幅/同比) needs a sentence stating a
  change, one about a share (占比/比重/比例) a sentence stating a share (a question of several parts:
  the kinds of the part answered); a quantity stated per day (日均/每天) or per person (人均) does not
  answer a question that asks neither (one about a particular day, 哪一天/当天, takes that day's);
* **a difference** asked for (比…多/少多少, 相差) is answered by a figure only where its clause
  states a change or comparison; any other figure there is one of the two compared (a sum or
  difference the sources do not state is computed, ``arithmetic``, and each figure it is computed
  from must come from a source naming the question's names, be of a year it asks about and not be
  a larger place's figure where the question asks for a part, ``operand_clash``);
* **the item**: a source sentence that says, in the answer's own words, another item where the
  answer names the asked one (参加新兴项目的学生 for 参加游泳项目的学生) gives that item's figure (a bare
  generic head, 公司 for 星驰汽车, is the body the text is about, no other item); a
  change stated without its own subject (净利润11.3亿元，同比增长25.6%) is the change of what the clause
  before states, not of another measure the chunk states elsewhere (研发投入); a bare figure (180人) is
  about the item its question names, not a parallel item of a 其中 list (``_another_item``); a whole's
  figure (全校…93.7%) is not one of a part its paragraph lists after 其中 (``_whole_for_part``);
* **the place**: a figure a clause gives for a whole larger place (全市) that it does not name the
  asked district in, or one whose paragraph names the larger place the question names the asked
  one under (海州港 for 海州港金沙湾港区) but not the asked one, is the larger place's figure; one
  whose paragraph names another body of the asked kind (云港临海国际机场 for 江临国际机场) and never
  the asked one is that body's; a total (共, 总产量, 全县) is no figure of a part the question names
  (清北区段, 分赛场, 宁渚市沙汀区) where the sentence and its paragraph so far never name it
  (``_total_for_part``);
* **the period and the plan**: a change on the year before (同比, 比2023年6月) is not one on the
  period before (环比, 比5月); a question asking what actually happened (实际) is not answered by
  a target or forecast (目标, 计划, 预计), nor one asking for a plan or forecast by a sentence
  stating no plan or future;
* **what is measured**: a one-part question asking the amount of a noun the corpus uses (营业收入
  是多少) is answered only from a document naming it; a rate given as a percentage is a share;
* **the relation**: which one or who does something (哪家车企生产的) is answered by a source stating
  that doing (``_relation_unstated``);
* **the measure word**: a number is compared with its unit (``unit_clash``): 64岁 is an age,
  not 64年 of service; asked 多少人, 52万人次 (people-times) answers only where the sentence
  gives no plain head count.

Shortcut: names come from jieba's tagger, which misses some and tags some common words (a place's
own name it cuts into pieces, 阳光|佳|和 + 小区, is joined back).
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from rag.answering import answerability
from rag.answering.arithmetic import asks_calculation
from rag.answering.citations import key_terms, parallel_groups, swapped
from rag.answering.excerpts import bigrams
from rag.text import NUMBER_PATTERN, common_word, is_cjk, numbers, split_sentences

SUBJECT_SHARE = 0.4  # rarity-weighted share of the question's known terms (of its best-covered part) the chunk must hold
NAME_TAGS = ("nr", "ns", "nt", "nz")
MEASURES: dict[str, tuple[str, ...]] = {
    "growth": ("增长", "增幅", "同比", "增加", "上涨", "提高", "上升", "下降", "减少", "增速", "翻番", "增至", "提升", "升至", "降至", "涨至",
               "增收", "增产", "减产", "减收", "下滑", "涨幅", "降幅"),
    "share": ("占比", "比重", "份额", "比例", "占全", "占总"),
    "daily": ("日均", "每天", "每日", "单日", "一天"),
    "per_person": ("人均", "每人"),
}
# a clause stating a difference: "比2023年的6500人增加350人", "略低于17万辆的目标", "缩短了1分15秒"
_DIFFERENCE_STATED_RE = re.compile(r"比.{0,30}(多|少|高|低|增|减|快|慢)|相差|差距|差额|少于|多于|低于|高于|不足|超出|超过|缩短|延长|提前|推迟")
# kinds that change what a number means when the question does not ask for them
_QUALIFYING = ("daily", "per_person")
# a year is 2022年 or a bare 2022, not a part of a longer number or an amount (2080万元, 2000多名, 2000人)
_NOT_AFTER_YEAR = "|".join(u for u in answerability.UNITS_PATTERN.split("|") if u != "年")
_YEAR_RE = re.compile(
    rf"(?<![\d.])((?:19|20)\d{{2}})(?![\d.]|\s*(?:万|亿|千|百|多|余|个|{_NOT_AFTER_YEAR}))\s*年?|([〇零一二三四五六七八九]{{4}})\s*年"
)
_BASELINE_RE = re.compile(r"(比|较|相比|与|同比)\s*$")  # before a year: a comparison's baseline
_DATE_RE = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
_DATE_OR_TIME_RE = re.compile(r"\d{4}\s*年|\d{1,2}\s*月(\s*\d{1,2}\s*[日号])?|\d{1,2}\s*[时点](\s*\d{1,2}\s*分)?")
@dataclass
class Asked:
    years: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    parts: list[dict[str, float]] = field(default_factory=list)  # per part of the question: known term -> weight
    measures: set[str] = field(default_factory=set)
    question: str = ""
    part_measures: list[set[str]] = field(default_factory=list)  # per part of the question: its kinds of measure
    translated: bool = False  # the model's translation of the asker's question: its wording is the model's
    measured: str = ""  # what a one-part question asks the amount of (营业收入 in "…的营业收入是多少?"), if the corpus uses its words


_CN_DIGIT = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {"〇": "0"}


def _year_matches(text: str, baselines: bool = True) -> list[re.Match]:
    """Where ``text`` names a year, in order; without ``baselines``, not where a comparison is made
    against it (a year after 比/较/相比: "比2023年的6500人增加350人")."""
    return [m for m in _YEAR_RE.finditer(text)
            if baselines or not _BASELINE_RE.search(text[max(0, m.start() - 3) : m.start()])]


def years(text: str, baselines: bool = True) -> set[str]:
    """The years a text names: 2022年, 2022, 二〇二二年; without ``baselines``, not the years a
    comparison is made against ("比2023年的6500人增加350人" is about the year it compares)."""
    return {m.group(1) or "".join(_CN_DIGIT[c] for c in m.group(2)) for m in _year_matches(text, baselines)}


def report_year(document: str) -> set[str]:
    """The year a report speaks of as 今年: the one its title names, else the first its lead
    paragraph names that is no comparison's baseline ("2024年粟岭县秋粮…比2023年的46.9万吨")."""
    title, _, body = document.strip().partition("\n")
    lead = next((p for p in body.split("\n") if p.strip()), "")
    for text in (title, lead):
        if named := _year_matches(text, baselines=False):
            return years(named[0].group(0))
    return set()


def dates(text: str) -> set[str]:
    return {f"{int(m.group(1))}月{int(m.group(2))}日" for m in _DATE_RE.finditer(text)}


# 占 + what + a percentage states a share ("占全县茶园面积的40%") without a share noun
_SHARE_RE = re.compile(r"占[^，。；,;]{0,20}?(\d+(\.\d+)?\s*%|百分之|[一二三四五六七八九]成)")


# 一天 after an ordinal, a pointing or a question word is one particular day (开诊第一天, 同一天, 哪一天), not "per day"
_DAY_POINTERS = "第|同|当|这|那|哪"
_ONE_DAY_RE = re.compile(rf"({_DAY_POINTERS})一天")
_PARTICULAR_DAY_RE = re.compile(rf"({_DAY_POINTERS})一?天|当日|哪日")


# a rate (…率) given as a percentage is a share of a whole (机收率达到93.5%, 入住率为78.6%); a growth rate is a change
_RATE_RE = re.compile(r"(?<!增长)(?<!增速)率\s*(?:为|是|达到|达|约|超过|提高到|提升至|升至)?\s*(\d+(\.\d+)?\s*%|百分之)")


def measures(text: str) -> set[str]:
    text = _ONE_DAY_RE.sub("", text)
    found = {kind for kind, words in MEASURES.items() if any(w in text for w in words)}
    return found | ({"share"} if _SHARE_RE.search(text) or _RATE_RE.search(text) else set())


# Chinese names of places and organisations are a specific part before a generic head (专名 + 通名):
# 星驰 + 汽车, 江临 + 机场, 乃自房 + 村. The word before such a head is taken as a name.
NAME_HEADS = (
    "公司", "集团", "汽车", "银行", "机场", "大学", "学院", "医院", "学校", "中学", "小学", "社区", "小区",
    "村", "镇", "乡", "县", "区", "市", "省", "港", "站", "馆", "厂", "局", "委", "街道",
)
_NOT_NAME_TAGS = ("m", "r", "u", "p", "d", "c", "q", "x", "t", "f")


def _common_noun(word) -> bool:
    """A person's name is open-class and rarely in the dictionary; an nr-tagged word the dictionary
    counts often (师傅) is a title or common noun the tagger mistook."""
    return word.flag == "nr" and common_word(word.word)


@functools.lru_cache(maxsize=512)  # a question is tagged for every sentence checked against it
def _tagged(text: str) -> tuple:
    """jieba's words of ``text`` with their part-of-speech tags, blanks left out. A word its
    dictionary does not hold that starts with a conjunction or the comparative 比 after another word
    (局长|和禾阳|粮润, 馆长|比江|临市) is that function word and a name jieba did not know, or a piece of
    one: its new-word guess glued them."""
    import jieba
    import jieba.posseg

    out = []
    for w in jieba.posseg.lcut(text):
        if not w.word.strip():
            continue
        if out and len(w.word) >= 2 and w.word[0] in _FUNCTION_CHARS and w.word not in jieba.dt.FREQ:
            out += [jieba.posseg.pair(w.word[0], "c"), jieba.posseg.pair(w.word[1:], w.flag)]
        else:
            out.append(w)
    return tuple(out)


_FUNCTION_CHARS = "和与及跟比"
_ASPECT_TAGS = ("ul", "uz", "ug")  # 了, 着, 过 after a verb


def names(text: str) -> list[str]:
    """Names in ``text``: words jieba tags as names (nr/ns/nt/nz), and the specific part before a
    generic head noun (``NAME_HEADS``)."""
    words = _tagged(text)
    # a word an aspect particle follows (新开通|了) is a verb, whatever the tagger says: a name takes none
    found = [w.word for w, after in zip(words, words[1:] + (None,))
             if w.flag[:2] in NAME_TAGS and len(w.word) >= 2 and not _common_noun(w)
             and not (after is not None and after.flag in _ASPECT_TAGS)]
    for w in words:  # one word holding both parts (化营村): its specific part, unless a common word (开发区)
        head = next((h for h in NAME_HEADS if w.word.endswith(h)), "")
        part = w.word[: len(w.word) - len(head)]
        if head and w.flag.startswith("n") and len(part) >= 2 and is_cjk(part) and not common_word(part):
            found.append(part)
    for before, head in zip(words, words[1:]):
        if head.word in NAME_HEADS and len(before.word) >= 2 and is_cjk(before.word):
            if not before.flag.startswith(_NOT_NAME_TAGS):
                found.append(before.word)
    found += _split_names(words)
    return list(dict.fromkeys(found))


SPLIT_NAME_CHARS = (3, 5)  # a 专名 jieba cut into pieces: 阳光|佳|和 + 小区


def _split_names(words: tuple) -> list[str]:
    """The specific part of a place named right after a larger one, which jieba cut into short
    words ("廊坊开发区|阳光|佳|和|小区"): the words between the larger place's head and this one's,
    when one of them is a single character (a name's piece, not a word of its own)."""
    out = []
    for i, head in enumerate(words):
        if head.word not in NAME_HEADS or i < 2 or len(words[i - 1].word) != 1:
            continue
        k = i - 1
        while k > 0 and len(words[k - 1].word) <= 2 and is_cjk(words[k - 1].word) and not words[k - 1].word.endswith(NAME_HEADS):
            k -= 1
        span = "".join(w.word for w in words[k:i])
        if k > 0 and words[k - 1].word.endswith(NAME_HEADS) and SPLIT_NAME_CHARS[0] <= len(span) <= SPLIT_NAME_CHARS[1]:
            out.append(span)
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
    asked = parts(question)
    return Asked(
        years=years(question),
        dates=dates(question),
        names=[n for n in names(question) if not common(n)],
        parts=[{t: w for t in key_terms(p) if (w := known(t))} for p in asked],
        measures=measures(question),
        question=question,
        part_measures=[measures(p) for p in asked],
        measured=_measured(question, known) if len(asked) == 1 else "",
    )


# what is asked the amount of: the nouns right before 是多少 / 有多少 ("营业|收入是多少"; a verb heading a
# compound noun, 收入, counts); "多少辆车" counts things, judged by the measure word (``unit_clash``)
_HOW_MUCH_RE = re.compile(r"(?:是|为|有|达到|达|约|大约|一共|共|总共)*多少[？?]?$")


def _measured(question: str, known: Callable[[str], float | None]) -> str:
    """The noun a question asks the amount of (its head: 总产量 of 早稻总产量), when the corpus uses
    each of its words (a paraphrase the documents never use, 住满程度, cannot be looked for); kinds of
    measure (增长, 占比) are judged as kinds."""
    m = _HOW_MUCH_RE.search(question.strip())
    if not m:
        return ""
    words = _tagged(question[: m.start()])
    if not words or not (words[-1].flag.startswith(("n", "v")) and words[-1].flag[:2] not in NAME_TAGS):
        return ""
    noun = [words[-1].word]
    if (words[-1].flag.startswith("v") or len(noun[0]) < 2) and len(words) > 1 and words[-2].flag.startswith("n"):
        noun.insert(0, words[-2].word)  # 营业|收入: the verb heads a compound noun
    elif not words[-1].flag.startswith("n"):
        return ""
    phrase = "".join(noun)
    if len(phrase) < 2 or measures(phrase) or not all(known(w) for w in noun):
        return ""
    return phrase


def _time_of(sentence: str, context: str, document: str) -> set[str]:
    """The years a sentence naming none may be about: the report's when it says 今年 (whatever
    year the document named before it); else its chunk's, and the last one its document names
    before it (a narrative keeps its year until it names another); its document's when neither
    names one. A comparison's baseline year ("比2023年增加了2.4万人") is none of them."""
    if "今年" in sentence and (now := report_year(document)):
        return now
    out = set(years(context, baselines=False))
    at = document.find(sentence) if document else -1
    if at > 0:
        # a year after 比/较/相比 is a comparison's baseline ("比2023年的1700万"), not the narrative's
        before = _year_matches(document[:at], baselines=False)
        if before:
            out |= years(before[-1].group(0))
    return out or years(document, baselines=False)


def operand_clash(
    asked: Asked, sentence: str, context: str, document: str = "", figure: str = "", others: str = ""
) -> str | None:
    """Why a figure (``figure``, as written) a computation takes from ``sentence`` (in ``context``:
    its chunk; in ``document``) is not about what the question asks: neither its source nor the
    other operands' (``others``: a comparison of two bodies may take each figure from its own
    report) mentions one of the question's names (another company's deliveries), it is a figure of a year the question
    does not ask about (next year's target), or one given for a larger place than an asked one
    (海州港's throughput is not that of its 金沙湾港区), as a stated figure would be (``_scope_clash``).
    Each operand of a comparison of two years names one of them."""
    missing = [n for n in asked.names if n not in context and n not in document and n not in others]
    if missing:
        return f"a figure it computes with is from a source that does not mention {', '.join(missing)}"
    clause = next((c for c in re.split(r"[,，;；]", sentence) if figure and figure in c), sentence)
    why = _scope_clash(asked.question, clause, sentence, _paragraph_so_far(sentence, context), document)
    if why:
        return f"a figure it computes with: {why}"
    if asked.years:
        stated = years(sentence) or _time_of(sentence, context, document)
        if stated and not stated & asked.years:
            return f"a figure it computes with is one of {', '.join(sorted(stated))}, not {', '.join(sorted(asked.years))}"
    return None


def translated(asked: Asked, original: str) -> Asked:
    """Constraints of a question the model translated: years only as the asker wrote them (a
    translation may add a year), no names or subject words (they are the model's wording)."""
    return Asked(years=years(original), dates=set(), names=[], parts=[], measures=asked.measures, question=asked.question,
                 translated=True)


def _figures(text: str) -> list[str]:
    """The numbers written in digits in ``text``, in order ("2.8亿元" -> "2.8")."""
    return re.findall(r"\d+(?:\.\d+)?", text)


def _claimed(claim: str, question: str) -> list[str]:
    """The numbers (as digits) the claim states and the question does not."""
    asked = set(_figures(question))
    return [n for n in _figures(claim) if n not in asked]


def _clause(sentence: str, claim: str, question: str = "") -> str:
    """The clause of ``sentence`` that states the claim's answer: of the clauses holding a number
    the claim states and the question does not, the one sharing most of the question's words (a
    copied sentence's "开放至晚上9点" is not what "接待了多少观众" asks about); the first on a tie;
    the whole sentence without one."""
    nums = _claimed(claim, question)
    clauses = [c for c in re.split(r"[,，;；]", sentence) if any(n in c for n in nums)]
    if not clauses:
        return sentence
    wanted = bigrams(question)
    return max(clauses, key=lambda c: len(bigrams(c) & wanted))


def uncovered(asked: Asked, claim: str, sentence: str, context: str, document: str = "", computed: bool = False) -> str | None:
    """Why ``sentence`` (in ``context``: its chunk and section; in ``document``) does not answer
    the asked question. ``computed``: the claim's figure is computed from the figures ``sentence``
    states (``arithmetic``), so a comparison's years are the ones asked about, and a change the
    question asks for is the computation itself."""
    for label, asked_set, found in (("year", asked.years, years), ("date", asked.dates, dates)):
        stated = years(sentence, baselines=computed) if label == "year" else found(sentence)
        around = _time_of(sentence, context, document) if label == "year" else found(context)
        for value in sorted(asked_set):
            if (stated and value not in stated) or (not stated and value not in around):
                where = f"the source speaks of {', '.join(sorted(stated))}" if stated else "the source does not say"
                return f"the question asks about {label} {value}; {where}"
    # 今年 in a question is its report's year: a sentence naming only other years (2021年启用，当年…) is about them
    if not asked.years and "今年" in asked.question:
        stated, now = years(sentence, baselines=False), report_year(document)
        if stated and now and not stated & now:
            return f"the question asks about this year ({', '.join(sorted(now))}); the source speaks of {', '.join(sorted(stated))}"
    missing = [n for n in asked.names if n not in context and n not in document]
    if missing:
        return f"the source does not mention {', '.join(missing)}"
    coverage = [(sum(w for t, w in terms.items() if t in context) / sum(terms.values()), terms)
                for terms in asked.parts if terms]
    if coverage and max(c for c, _ in coverage) < SUBJECT_SHARE:
        gone = [t for t in max(coverage, key=lambda x: x[0])[1] if t not in context]
        return f"the source is about something else (no {', '.join(gone[:3])})"
    # a figure is the amount of what its document names: one never naming the asked noun (营业收入) gives another's
    if asked.measured and asked.measured not in context and asked.measured not in document:
        return f"the source's document never names {asked.measured}"
    # a question of several parts asks each part's kind of measure of that part's answer only
    stated_kinds = measures(sentence) | ({"growth"} if computed else set())
    unmet = [sorted(kinds - stated_kinds) for kinds in asked.part_measures or [asked.measures]]
    if all(unmet):
        return f"the question asks for a {min(unmet, key=len)[0].replace('_', ' ')} figure; the source gives none"
    before = _paragraph_so_far(sentence, context)

    def another_body() -> str | None:  # whatever the claim states, it is about what its paragraph names
        return _another_named(asked.question, before + sentence) or _named_elsewhere(
            asked, _paragraph(sentence, context), context.partition("\n")[0], document
        )

    if not re.search(r"\d", claim):
        return (another_body() or (None if asked.translated else _relation_unstated(asked.question, context))
                or quantity_clash(asked.question, claim, sentence))
    # the claim states a figure: judged on the clause stating it; per day or per person only when asked
    clause = _clause(sentence, claim, asked.question)
    why = (_scope_clash(asked.question, clause, sentence, before, document) or _another_part(asked.question, clause)
           or _total_for_part(asked.question, clause, before + sentence)
           or _whole_for_part(asked.question, clause, _paragraph(sentence, context)) or _another_item(asked.question, claim, sentence)
           or _another_place(asked.question, claim, sentence)
           or another_body() or _period_clash(asked.question, clause) or _plan_clash(asked.question, clause, sentence)
           or _substituted(asked.question, claim, sentence, context + document)
           or _change_of_another(asked.question, claim, sentence, context))
    if why:
        return why
    if not computed and "difference" in asks_calculation(asked.question) and not (
        "growth" in measures(clause) or _DIFFERENCE_STATED_RE.search(clause)
    ):
        return "the question asks for a difference; the source states the figure as none"
    # per day or per person qualifies a quantity; a date or a time the claim gives (10月2日) is none
    quantity = _claimed(_DATE_OR_TIME_RE.sub("", claim), asked.question)
    # and a question about one particular day (哪一天, 当天) is answered by that day's figure (单日最高)
    for kind in _QUALIFYING:
        if kind == "daily" and _PARTICULAR_DAY_RE.search(asked.question):
            continue
        if quantity and kind in measures(clause) and kind not in asked.measures:
            return f"the source gives a {kind.replace('_', ' ')} figure, which the question does not ask for"
    return quantity_clash(asked.question, claim, sentence)


# a clause stating a change and no subject of its own ("…净利润11.3亿元，同比增长25.6%")
_SUBJECTLESS_CHANGE_RE = re.compile(r"^\s*(?:同比|环比|较上年|比上年|较去年|比去年)?(?:增长|增加|下降|减少|提高|上升|增幅)")
_CHANGE_RE = re.compile(r"(?:同比|环比)?(?:增长|增加|下降|减少|提高|上升|增幅)")


# which one or who does something: the question's verbs after the asking word name the relation
_WHICH_RE = re.compile(r"哪家|哪个|哪位|哪所|哪支|哪座|哪一家|谁")
_LIGHT_VERBS = {"负责", "进行", "开展", "通过", "统一", "主要", "获得了"}


def _relation_unstated(question: str, context: str) -> str | None:
    """A question asking which one or who does something (哪家车企生产的, 由哪家设计院设计) is answered
    by a source stating that doing: a chunk (``context``) naming a body but none of the verbs after
    the asking word in a part of the question (负责建设和运营 for 生产) states another relation of it."""
    asking = [m for p in parts(question) if (m := _WHICH_RE.search(p))]
    unstated = []
    for m in asking:  # a question of several parts: the sentence may answer any one
        verbs = [w.word for w in _tagged(m.string[m.end() :])
                 if w.flag.startswith("v") and len(w.word) >= 2 and w.word not in _LIGHT_VERBS]
        if not verbs or any(v in context for v in verbs):
            return None
        unstated.append(verbs[0])
    return f"the source does not say which one or who {unstated[0]}" if unstated else None


def _change_of_another(question: str, claim: str, sentence: str, context: str) -> str | None:
    """A change stated without its own subject is the change of what the clause before it states
    ("净利润11.3亿元，同比增长25.6%": 净利润's growth). When the claim gives it for a measure that clause
    does not name (研发投入同比增长25.6%) and the chunk states that measure elsewhere (公司全年研发投入
    16.7亿元), the source tells the two apart, and the change is not the claim's."""
    nums = _claimed(claim, question)
    clauses = re.split(r"[,，;；]", sentence)
    at = next((i for i, c in enumerate(clauses) if nums and nums[0] in _claimed(c, "")), None)
    change = _CHANGE_RE.search(claim)
    if not at or not change or not _SUBJECTLESS_CHANGE_RE.search(clauses[at]):
        return None
    terms = key_terms(claim[: change.start()])
    ours = terms[-1] if terms and claim[: change.start()].rstrip("的了").endswith(terms[-1]) else ""
    stated = clauses[at - 1] + clauses[at]
    if not ours or ours in stated or ours not in context.replace(sentence, ""):
        return None
    theirs = key_terms(re.split(r"\d", clauses[at - 1])[0])  # what the clause before gives its figure of
    return f"the source gives this change for {theirs[-1] if theirs else clauses[at - 1]}, not {ours}"


# A change against the same period a year before, or against the period just before.
_YEAR_ON_YEAR_RE = re.compile(r"同比|比上年|比去年|较上年|较去年|比(19|20)\d\d年|较(19|20)\d\d年|上年同期|去年同期")
_PERIOD_ON_PERIOD_RE = re.compile(r"环比|比上月|较上月|比上个月|比上一个月|比上季度|比上周|比[一二三四五六七八九十\d]{1,2}月")


def _period_clash(question: str, clause: str) -> str | None:
    """A year-on-year change (同比, 比2023年6月) is not a month-on-month one (环比, 比5月), nor the
    other way round."""
    q_yoy, q_pop = bool(_YEAR_ON_YEAR_RE.search(question)), bool(_PERIOD_ON_PERIOD_RE.search(question))
    s_yoy, s_pop = bool(_YEAR_ON_YEAR_RE.search(clause)), bool(_PERIOD_ON_PERIOD_RE.search(clause))
    if q_yoy and not q_pop and s_pop and not s_yoy:
        return "the question asks for a change on the year before; the source gives one on the period before"
    if q_pop and not q_yoy and s_yoy and not s_pop:
        return "the question asks for a change on the period before; the source gives one on the year before"
    return None


# Administrative levels, largest first: a figure for 全市 (the whole city) is not one for a district.
_LEVEL = {"省": 1, "市": 2, "区": 3, "县": 3, "旗": 3, "镇": 4, "乡": 4, "街道": 4, "村": 5, "社区": 5}
_WHOLE_RE = re.compile(r"全(省|市|区|县|旗|镇|乡|村)")


def places(question: str, document: str = "") -> list[tuple[str, str, int | None]]:
    """The places ``question`` names, in order: (as written, its specific part, its level), e.g.
    "海州港金沙湾港区" -> ("海州港", "海州", None), ("金沙湾港区", "金沙湾", 3). A place is a word
    jieba tags ns, a name (nz, nt) followed by a place's generic word (禾阳 + 市: 专名 + 通名) or any
    noun followed by one only a place's part takes (杏坛 + 街道), with
    the generic word after it (区, 港区, 新区, 县; 博物馆, 分馆, 大学: an institution is a place a
    figure is given for too) when there is one. A place the question names without its generic
    word (宁渚) has the level ``document`` gives it (宁渚市)."""
    words = _tagged(question)
    out, used = [], set()
    for i, w in enumerate(words):
        after = words[i + 1].word if i + 1 < len(words) else ""
        named = w.flag == "ns" or (w.flag in NAME_TAGS and after in _PLACE_HEADS) or (
            w.flag.startswith("n") and after in _PART_HEADS)
        if not named or len(w.word) < 2 or i in used:
            continue
        head = after if after in _PLACE_HEADS or (after.endswith(NAME_HEADS) and words[i + 1].flag.startswith("n")) else ""
        used.add(i + 1 if head else i)
        name = w.word + head
        level = next((lv for suffix, lv in _LEVEL.items() if name.endswith(suffix)), None)
        if level is None and not head and document:
            level = next((lv for suffix, lv in _LEVEL.items() if w.word + suffix in document), None)
        out.append((name, w.word, level))
    return out


# generic words only a place's part takes: the noun before one is that part's own name (杏坛 + 街道)
_PART_HEADS = ("街道", "社区", "港区", "新区", "开发区")
_PLACE_HEADS = ("省", "市", "区", "县", "镇", "乡", "村", "港", "港区", "新区", "开发区", "街道", "社区")


def _paragraph_so_far(sentence: str, context: str) -> str:
    """The text of ``sentence``'s paragraph in ``context`` before it (where its subject is named)."""
    at = context.find(sentence)
    return context[context.rfind("\n", 0, at) + 1 : at] if at > 0 else ""


def _paragraph(sentence: str, context: str) -> str:
    """The whole paragraph of ``context`` holding ``sentence`` (``sentence`` itself if absent)."""
    at = context.find(sentence)
    if at < 0:
        return sentence
    end = context.find("\n", at + len(sentence))
    return context[context.rfind("\n", 0, at) + 1 : end if end >= 0 else len(context)]


def _scope_clash(question: str, clause: str, sentence: str, before: str = "", document: str = "") -> str | None:
    """Is the figure given for a larger place than the one asked about? A clause about 全市 (the
    whole city) that does not name the asked district gives the city's figure; a sentence whose
    paragraph (``before``: the paragraph up to it) names 海州港 but never its 金沙湾港区, named right
    after it in the question, gives the port's figure. ``document``: where a place named without
    its generic word finds its level (``places``)."""
    asked = places(question, document)
    whole = _WHOLE_RE.search(clause)
    for k, (name, specific, level) in enumerate(asked):
        if whole and level is not None and level > _LEVEL[whole.group(1)] and specific not in sentence:
            return f"the source gives the figure for {whole.group(0)}, not {name}"
        larger = asked[k - 1] if k else None
        nested = larger and question.find(larger[0]) + len(larger[0]) == question.find(name)
        if nested and larger[1] in before + sentence and specific not in before + sentence:
            return f"the source gives the figure for {larger[0]}, not {name}"
    return None


# a total over parts: 共/合计/累计, 总 before what it sums (总排涝能力, 总产量), or 全 + a body (全市, 全校)
_TOTAL_RE = re.compile(r"共|合计|累计|总(?!经理|裁|部|监|书记|工程师)|全(?:省|市|区|县|镇|乡|村|校|院|厂|线)")
# a part's own generic word: a stretch (区段, 路段), a branch (分馆, 分赛场), a campus or area (校区, 港区)
_PART_WORDS = ("区段", "路段", "分馆", "分院", "分校", "分厂", "分公司", "分赛场", "分会场", "主会场", "校区", "院区", "港区", "片区", "本部")
# a place named right after the larger one it lies in: 宁渚市|沙汀区, 桐岙县|芦湾镇, 枫林区|杏坛街道
_NESTED_PLACE_RE = re.compile(r"(?<=[省市县区])([\u4e00-\u9fff]{2,3}?)(?:新区|街道|社区|区|县|镇|乡|村)")


def _total_for_part(question: str, clause: str, said: str) -> str | None:
    """Does the clause state a total (共, 总产量, 全市) where the question asks for a part of a whole
    (a stretch, a branch, a campus: 清北区段, 分赛场; a place named after the larger one it lies in:
    宁渚市沙汀区) that the sentence and its paragraph so far (``said``) never name? A total sums the
    parts; it is no one part's figure."""
    if not _TOTAL_RE.search(clause):
        return None
    for word in _PART_WORDS:
        at = question.find(word)
        if at > 0 and word not in said:
            return f"the source gives a total, not the figure of {question[max(0, at - 3) : at + len(word)]}"
    for m in _NESTED_PLACE_RE.finditer(question):
        if not common_word(m.group(1)) and m.group(1) not in said:
            return f"the source gives a total, not the figure of {m.group(0)}"
    return None


def _named_heads(text: str) -> list[tuple[str, str]]:
    """(specific name, head word) of each 专名 + 通名 in ``text``: 江临 + 机场 in 江临国际机场 (the
    head within two words of the name)."""
    return _with_heads(text, lambda w: w.flag in NAME_TAGS and len(w.word) >= 2)


def _with_heads(text: str, specific) -> list[tuple[str, str]]:
    """(word, head) of each word of ``text`` that ``specific`` accepts and that a head noun
    (``NAME_HEADS``) follows within two words: nouns (国际 in 江临国际机场) or a one-character
    adjective (新 in 北岸新校区) between them."""
    words = _tagged(text)
    out = []
    for i, w in enumerate(words):
        if specific(w):
            for h in words[i + 1 : i + 3]:
                if h.word.endswith(NAME_HEADS) and h.flag.startswith("n"):
                    out.append((w.word, h.word))
                    break
                if not (h.flag.startswith("n") or (h.flag == "a" and len(h.word) == 1)):
                    break
    return out


def _another_named(question: str, said: str) -> str | None:
    """Does the figure's sentence, with its paragraph so far (``said``), name another place or body
    of the kind the question asks about, and never the asked one? 云港临海国际机场's target is not
    江临国际机场's."""
    return _another_of(_named_heads, question, said)


def _another_of(pairs, question: str, text: str) -> str | None:
    """For each (specific word, head) ``pairs`` finds in the question whose word ``text`` lacks:
    another word of ``text`` with the same head, which the question does not name."""
    for word, head in pairs(question):
        if word in text:
            continue
        other = [w for w, h in pairs(text) if h == head and w not in question]
        if other:
            return f"the source gives the figure for {other[0]}{head}, not {word}{head}"
    return None


def _sited_parts(text: str) -> list[tuple[str, str]]:
    """(distinguishing word, head) of each part named by its side or its number: 南岸 + 校区 in
    南岸校区, 北岸 + 校区 in 北岸新校区, 第三 + 水厂 in 第三水厂."""
    return _with_heads(
        text,
        lambda w: len(w.word) >= 2 and (w.flag == "f" or (w.flag == "m" and re.fullmatch(r"第[一二三四五六七八九十]+", w.word))),
    )


def _another_place(question: str, claim: str, sentence: str) -> str | None:
    """Does the part of the sentence stating the figure (up to a ；, which joins statements about
    different subjects) name another place of the asked place's level and not the asked one?
    "石门镇…总产量3.7万吨；河口乡种植面积5.3万亩" gives 石门镇's output, not 河口乡's."""
    nums = _claimed(claim, question)
    statement = next((p for p in re.split(r"[;；]", sentence) if nums and all(n in p for n in nums)), "")
    if not statement or statement == sentence:
        return None
    for name, specific, level in places(question):
        if level is None or specific in statement:
            continue
        other = [n for n, _, lv in places(statement) if lv == level and n not in question]
        if other:
            return f"the source gives the figure for {other[0]}, not {name}"
    return None


def _another_part(question: str, clause: str) -> str | None:
    """Does the clause stating the figure name another part of the asked kind by its side or number
    (北岸新校区占地2100亩) and not the asked one (南岸校区)? Then the figure is that part's."""
    return _another_of(_sited_parts, question, clause)


def _another_item(question: str, claim: str, sentence: str) -> str | None:
    """A bare figure ("180人") names no item, so it is about the one its question names: a source
    stating it in a list of parallel items for another item (医生中有180人 beside 护士960人, asked
    about 护士) gives that item's figure (``citations.swapped``; a claim naming its item is judged
    there when its support is checked)."""
    if key_terms(claim):
        return None
    num = next((n for n in numbers(claim) - numbers(question) if swapped(n, claim, sentence, question)), None)
    return f"the source states {num} for another item of its list" if num else None


# a whole body: 全校 (the whole school), 全院, 全省 ... (not 全年, 全长, 全程: a time or a length)
_WHOLE_BODY_RE = re.compile(r"全(?:校|院|厂|所|系|省|市|区|县|镇|乡|村|国|体|部|公司|集团|行业)")


def _whole_for_part(question: str, clause: str, paragraph: str) -> str | None:
    """Does the clause give the figure of a whole (全校毕业去向落实率为93.7%) where the question asks
    for a part of it that the paragraph lists after 其中 (其中本科生6720人、硕士研究生2890人) and the
    clause does not name? 其中 opens the parts of what precedes it; a figure for the whole is not
    one of a part."""
    if not _WHOLE_BODY_RE.search(clause):
        return None
    for s, e in split_sentences(paragraph):
        for group in parallel_groups(paragraph[s:e])[1:]:
            for item in group:  # the part's name: its clause up to its figure (其中|本科生|6720人)
                part = re.split(r"\d", item.removeprefix("其中"), maxsplit=1)[0].strip()
                if len(part) >= 2 and part in question and part not in clause:
                    return f"the source gives the figure for {_WHOLE_BODY_RE.search(clause).group(0)}, not for {part}"
    return None


def parts(question: str) -> list[str]:
    """The questions a question asks (？ and ； end one): "多少个…？另外…有几个？" asks two."""
    return [p for p in re.split(r"[?？;；]", question) if p.strip()] or [question]


_POINTED_RE = re.compile(rf"(该|这座|这家|这所|这个|此)({'|'.join(sorted(NAME_HEADS, key=len, reverse=True))})")


def standalone(part: str, before: str) -> str:
    """A part of a question readable without the parts ``before`` it: 该机场 / 这家公司 (a pointing
    word and a generic head) become the name ``before`` gives that head (江临国际机场), or, when it
    names none with that head, the first name it gives (星衡科技 for 该公司)."""

    def named(m: re.Match) -> str:
        head = m.group(2)
        words = _tagged(before)
        for i in range(len(words) - 1, -1, -1):
            if words[i].word.endswith(head):
                k = i
                while k > 0 and i - k < 3 and words[k - 1].flag.startswith("n") and not words[k - 1].word.endswith(head):
                    k -= 1
                if k < i or len(words[i].word) > len(head):
                    return "".join(w.word for w in words[k : i + 1])
        found = names(before)
        return found[0] if found else m.group(0)

    return _POINTED_RE.sub(named, part)


def _named_elsewhere(asked: Asked, paragraph: str, title: str, document: str) -> str | None:
    """Does the document name one of the question's names only away from the figure? A report's
    title names what all of it is about, and a paragraph names the part it is about; a name the
    document gives only in other paragraphs (工程范围覆盖…望江区, two paragraphs after
    新建泵站7座) is another part's, and the figure is not its. A question of several parts
    (？；) may be answered by the part whose names the paragraph has, and a paragraph naming the
    part the question names right after a name (海州港银滩港区) needs not repeat the larger one. A
    translated question's names are the model's wording (``translated``) and are not judged."""
    whys = []
    for part in parts(asked.question):
        own = [n for n in names(part) if n in asked.names and not _part_named(n, part, paragraph)]
        away = [n for n in own if n in document and n not in title and n not in paragraph]
        if not away:
            return None
        whys.append(f"the source's paragraph is not about {away[0]}, which the document names elsewhere")
    return whys[0]


def _part_named(name: str, question: str, text: str) -> bool:
    """Does ``text`` name the specific part the question puts right after ``name`` (银滩 of 银滩港区
    after 海州港)? The part is a plain noun of the same phrase: not another name, not a generic
    head (港区, 公司) that any part has."""
    words = _tagged(question)
    for i, w in enumerate(words):
        if w.word == name:
            for after in words[i + 1 : i + 4]:
                if not after.flag.startswith(("n", "j", "l")) or after.flag in NAME_TAGS:
                    break
                generic = after.word in _PLACE_HEADS or after.word in NAME_HEADS
                if len(after.word) >= 2 and not generic and after.word in text:
                    return True
    return False


_POINTING = ("该", "本", "此", "这", "其", "全")
# a reporting frame opening a sentence: the speaker and the verb of saying before what is said
_REPORTED_RE = re.compile(r"^[^，。；,;]{0,40}?(?:介绍|表示|说|称|指出|透露|坦言|告诉记者)[，,：:]")
SUBSTITUTE_MAX = (6, 8)  # characters of the answer's and the source's differing words in one frame


def _substituted(question: str, claim: str, sentence: str, context: str) -> str | None:
    """Does the source sentence say in the answer's frame, where the answer names an item the
    question asks about and the chunk names elsewhere, another item instead ("参加[游泳]项目的学生
    占…18%" against "参加[新兴]项目的学生占…18%")? The two must modify the same head noun (项目):
    a subject said another way ("云港半马举办期间" against "赛事期间") is not another item. A
    paraphrase the documents never use is not an item they distinguish, so only words the chunk
    holds outside the sentence count."""
    import jieba.posseg

    asked_terms = [t for t in key_terms(question) if t in context and t not in sentence]
    if not asked_terms:
        return None
    sentence = _REPORTED_RE.sub("", sentence, count=1)  # who says it (…院长林晓雯介绍，) is no item of what is said
    spans, at = [], 0  # the sentence's words with their offsets: a differing piece belongs to whole words (明前|茶 -> 明前茶)
    for w in jieba.posseg.lcut(sentence):
        spans.append((at, at + len(w.word), w))
        at += len(w.word)
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, claim, sentence, autojunk=False).get_opcodes():
        if op != "replace" or i2 - i1 > SUBSTITUTE_MAX[0] or j2 - j1 > SUBSTITUTE_MAX[1]:
            continue
        ours = claim[i1:i2]
        head = next(iter(jieba.posseg.lcut(claim[i2:])), None)
        if head is None or not head.flag.startswith("n"):
            continue  # two words modifying one head noun (游泳|新兴 + 项目), not a subject said another way
        asked = [t for t in asked_terms if any(t[k : k + 2] in ours for k in range(len(t) - 1))]
        # another item: a noun or a noun's modifier, not a verb, a time, a number or a pointing word
        other = [
            w.word for s, e, w in spans
            if s < j2 and e > j1 and len(w.word) >= 2 and w.flag[:1] in ("n", "b", "l") and not re.search(r"\d", w.word)
            and not w.word.startswith(_POINTING) and w.word not in question and w.word not in claim
            and w.word not in NAME_HEADS  # a bare generic head (公司) stands for the body the text is about
        ]
        if asked and other and not re.search(r"\d", ours):
            return f"the source gives this figure for {other[0]}, not {asked[0]}"
    return None


# A planned, targeted or expected figure (目标为3600万人次, 预计接待约40万人次) is not what happened.
_PLANNED_RE = re.compile(r"目标|计划|预计|预期|力争|拟")
_FUTURE_RE = re.compile(r"目标|计划|预计|预期|力争|拟|将|届时|有望|估计|打算|可望|会")
_ACTUAL_RE = re.compile(r"实际|真正")


# "比目标少了多少": a target compared with; "按照…的计划测算": a plan a figure is computed from
_AGAINST_PLAN_RE = re.compile(r"(比|较|与|和)[^，,？?]{0,20}(目标|计划|预期)|按照?[^，,？?]{0,30}?(目标|计划|预期)[^，,？?]{0,4}?(测算|计算|推算|估算)")


def _plan_clash(question: str, clause: str, sentence: str) -> str | None:
    question = _AGAINST_PLAN_RE.sub("", question)
    if _ACTUAL_RE.search(question) and _PLANNED_RE.search(clause):
        return "the question asks what actually happened; the source gives a planned or expected figure"
    if _PLANNED_RE.search(question) and not _FUTURE_RE.search(sentence):
        return "the question asks for a planned or expected figure; the source gives what happened"
    return None


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
    # 个 counts anything: a figure the claim counts with it (党员先锋队有19个) is the source's only where
    # the claim names what the source counts with that figure (19名社区工作者)
    asked = set(_figures(question))
    for m in re.finditer(rf"({NUMBER_PATTERN})\s*个(?!{answerability.UNITS_PATTERN})", claim):
        num = m.group(1)
        counted = [sentence[c.end() :] for c in _STATED_RE.finditer(sentence) if c.group(1) == num]
        if not counted or num in asked or len(counted) < sentence.count(num):
            continue
        nouns = [key_terms(re.split(r"[，。；、,;\s]", after, maxsplit=1)[0])[:1] for after in counted]
        if all(noun and noun[0] not in claim for noun in nouns):
            return f"{num}个 in the claim counts {nouns[0][0]} in the source"
    return None


def quantity_clash(question: str, claim: str, sentence: str) -> str | None:
    """The claim gives a quantity of another kind than the question asks (``answerability``);
    people-times answer a head-count question only where the sentence gives no head count."""
    whys = [answerability.quantity_mismatch(p, claim) for p in parts(question)]
    if any(why is None for why in whys):  # a question of several parts: the claim may answer any one
        return None
    why = whys[0]
    asked = answerability.asked_groups(question) or set()
    if "people" in asked and any(u == "人次" for _, u in stated(claim)):
        if not any(answerability.unit_group(u) == "people" for _, u in stated(sentence)):
            return None
    return why
