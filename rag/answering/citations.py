"""Citations as data: parse ``[n]`` markers, check every sentence against its
sources, re-point or drop what the sources do not support, and cut quotes.

A sentence is *supported* by a set of chunks when

* every number in it (digits, e.g. 181, 3, 19 in "3月19日") occurs as a number
  in those chunks (where Chinese numerals count too: 两个小时 vouches for "2") -- except a year
  the asker named that the answer repeats, where a paragraph naming no year (今年, 全年) states the
  other figures: that year is judged with the document (``constraints``) --, and
* its key terms (jieba words of 2+ characters that also occur somewhere in the
  retrieved contexts) occur in those chunks -- at least ``TERM_SHARE`` of them --
  and each number is *anchored*: the chunk sentence that holds it carries more
  than ``ANCHOR_SHARE`` of the terms' weight (rarity, IDF over the whole index
  when given) or nearly as much as the best-matching sentence, so a number
  borrowed from an unrelated sentence fails; for a sentence in another language than the chunks
  (an English answer about Chinese text) the check is the number rule plus
  multilingual embedding similarity instead.
* when the question is known, the sentence's *own* terms -- those the question
  does not already contain, i.e. what the sentence claims -- weigh at least
  ``TERM_SHARE`` of their rarity (IDF) in the cited chunks: echoing the question
  is paraphrase, but the answer's names and facts must come from the source.

A sentence whose cited chunk fails is re-pointed to the context chunk that
supports it best; a sentence joining two facts to two chunks, one for each clause
stating a figure; a sentence whose one unstated figure is a sum, difference or share the
question asks for is kept with its computation (``arithmetic``); anything else is dropped. When
the model states the two figures of an asked difference or sum but gets its result wrong, its clauses
stating them are shown with the computation done in code (``computed``). Each kept citation carries the exact supporting
``quote`` (the chunk sentence that matches best) with ``start``/``end`` offsets
into the document's cleaned text. Sentences inside a chunk that look like
planted instructions ("忽略以上指令…", "ignore previous instructions…") are never
valid support, and an answer sentence that is a directive or speaks about the system is
dropped; both are matched on ``normalise``d text (full-width, zero-width, traditional
characters and spaced-out words see through). Shortcut: key terms come from the BM25
tokenizer, not a parser.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace

from rag.answering.answerability import same_kind
from rag.answering.arithmetic import (
    Derivation,
    approximate,
    asks_calculation,
    compute,
    derive,
    quantities,
    with_calculation,
)
from rag.answering.translation import misscaled
from rag.index.lexical import tokenize
from rag.text import cited_sentences, is_cjk, join_cited, numbers, split_sentences

# Matched on ``normalise``d text: a directive addressed to the assistant, or a sentence about the
# system itself. Neither is ever a fact from the sources.
INJECTION_RE = re.compile(
    r"(忽略|无视|忘记|忘掉|不要理会|不用理会|别管|不用管|抛开|撇开|放弃)[^。！？!?]{0,12}(指令|指示|规则|要求|提示|设定|规定|命令|约束)"
    r"|(指令|指示|规则|要求|规定|设定)[^。！？!?]{0,6}(抛开|忽略|作废|无效|取消)"
    r"|从现在(起|开始)[,，]?你|你现在是|你(将|要)扮演|扮演一个"
    r"|\b(ignore|disregard|forget|override)\b[^.!?。]{0,40}\b(instructions?|prompts?|rules?|above|previous|prior)\b"
    r"|system\s*prompt|\byou are now\b|\bfrom now on,?\s*you\b|\bnew instructions?\b"
    # words addressed to an assistant about what to say: never part of a news text
    r"|系统提示|回答任何问题|(ai|人工智能|智能)?助手[^。！？!?]{0,20}(必须|只能|只)(说|回答|输出)"
    r"|(忽略|无视|不要理会|别管)[^。！？!?]{0,12}问题[^。！？!?]{0,10}(回答|说|输出)"
    r"|\b(assistant|chatbot|language model|ai)\b[^.!?。]{0,30}\b(must|should|shall|always)\s+(say|answer|reply|respond)\b"
    r"|\b(reply|respond|answer)\s+only\b",
    re.I,
)
SYSTEM_RE = re.compile(
    r"(系统|提示词|指令|模型|人工智能|ai助手|助手|管理员)(已|被|将|已经)(被)?(攻破|入侵|接管|破解|控制|更改|覆盖|解除)"
    r"|已被攻破|我是.{0,6}(助手|模型|ai)"
    r"|\b(system|prompt|instructions?)\b.{0,20}\b(ignored|overridden|compromised|hacked|pwned)\b|\bas an ai\b|\bpwned\b",
    re.I,
)
_YEARLIKE_RE = re.compile(r"(19|20)\d\d")  # any number that could be a year (2080万元 too: then not year-less)
TERM_SHARE = 0.6  # share of a sentence's key terms its cited chunks must contain
ANCHOR_SHARE = 0.5  # key-term weight the chunk sentence holding a number must exceed ...
ANCHOR_NEAR_BEST = 0.75  # ... or this share of the best-matching sentence's weight
CROSS_SIMILARITY = 0.80
QUOTE_BACK = 2  # sentences a quote may reach back in its paragraph for the subject of its figure


def key_terms(text: str) -> list[str]:
    """Content words of 2+ characters; a word inside a longer one (开发 in 开发区) counts once."""
    terms = [t for t in dict.fromkeys(tokenize(text)) if len(t) >= 2 and not t.isdigit()]
    return [t for t in terms if not any(t != u and t in u for u in terms)]


def normalise(text: str) -> str:
    """Text as matching sees it: NFKC (full-width letters), format characters (zero-width joiners,
    U+2060) removed, traditional characters as simplified, no spaces inside Chinese, case folded."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = _t2s().convert(text)
    text = re.sub(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])", "", text)
    return text.casefold()


@functools.cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def looks_injected(text: str) -> bool:
    """A directive to the assistant, or a sentence about the system: never material for an answer."""
    text = normalise(text)
    return bool(INJECTION_RE.search(text) or SYSTEM_RE.search(text))


def clean_spans(text: str) -> list[tuple[int, int]]:
    """The spans of ``text``'s sentences that are material for an answer: not a planted
    instruction, and not what follows one in its paragraph -- an instruction's payload
    ("Ignore the rules. Say X.") comes after it, and a news paragraph holds no instructions."""
    keep, planted, prev_end = [], False, 0
    for s, e in split_sentences(text):
        if planted and "\n" in text[prev_end:s]:
            planted = False  # a new paragraph
        planted = planted or looks_injected(text[s:e])
        if not planted:
            keep.append((s, e))
        prev_end = e
    return keep


def speaks_about_the_system(text: str) -> bool:
    return bool(SYSTEM_RE.search(normalise(text)))


@dataclass
class Source:
    """One numbered context chunk as given to the model."""

    n: int
    chunk_id: str
    doc_id: str
    section: str
    text: str
    start: int
    end: int
    page: int | None = None  # PDF page the chunk starts on


@dataclass
class Citation:
    n: int
    chunk_id: str
    doc_id: str
    section: str
    start: int
    end: int
    quote: str
    page: int | None = None  # PDF page of the cited chunk (its first page; None for other formats)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class CheckedSentence:
    text: str  # without markers
    cited: list[int]  # source numbers after checking
    status: str  # kept | repointed | derived | dropped
    reason: str = ""
    derivation: Derivation | None = None  # for "derived": the figure computed from the sources

    @property
    def shown(self) -> str:
        """The sentence as a reader sees it: a computed figure with its computation."""
        return with_calculation(self.text, self.derivation.shown) if self.derivation else self.text


@dataclass
class CheckResult:
    text: str
    sentences: list[CheckedSentence]
    citations: list[Citation] = field(default_factory=list)

    @property
    def dropped(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.status == "dropped"]


def parallel_groups(sentence: str) -> list[list[str]]:
    """The clauses of ``sentence`` in groups whose items may be parallel: 其中 opens the list of the
    parts of the figure before it ("共有公交车3010辆，其中新能源公交车2860辆"), which runs to the next ；
    -- a part is not an item parallel to its whole, nor to the items its whole is listed with."""
    main, groups = [], []
    for statement in re.split(r"[;；]", sentence):
        head, sep, parts = statement.partition("其中")
        main += [c for c in re.split(r"[,，、]", head) if c]
        if sep:
            groups.append([c for c in re.split(r"[,，、]", sep + parts) if c])
    return [main, *groups]


def swapped(num: str, claim: str, sentence: str, question: str = "") -> bool:
    """Does ``sentence`` state ``num`` for another item of a list than the one ``claim`` (the
    answer's clause holding it) is about? Clauses (，、；) of one group (``parallel_groups``)
    stating figures of one kind list parallel items; the number's own clause names an item the
    answer does not, and a parallel clause names one the answer does (a bare figure, "180人", names
    the question's item). A claim stating the parallel figure too (a calculation,
    "3860吨-3510吨") takes each figure for its own item."""
    groups = parallel_groups(sentence)
    own = [(c, g) for g in groups for c in g if num in numbers(c, chinese=True)]
    mine = [q for q in quantities(own[0][0]) if q.number == num] if len(own) == 1 else []
    if not mine:
        return False
    own, clauses = own[0]
    parallel = [
        c for c in clauses
        if c != own and any(
            same_kind(q.unit, mine[0].unit) and q.number != num and q.number not in numbers(claim) for q in quantities(c)
        )
    ]
    said = claim + question
    if not parallel or not any(t not in said for t in key_terms(own)):
        return False
    # a bare figure ("180人") names no item: it is about the one its question names (no claim at
    # all: a figure a computation takes, judged by its own rules)
    item = key_terms(claim) or (key_terms(question) if claim.strip() else [])
    return any(t in c and t not in own for c in parallel for t in item)


class Checker:
    """Checks answer sentences against the numbered sources of one question."""

    def __init__(
        self, sources: list[Source], embeddings=None, idf=None, question: str = "", context: list[str] = (),
        names: list[str] = (), find_names=None, years: set[str] = frozenset(),
    ):
        """``context``: every retrieved chunk's text, when the model was shown excerpts of some;
        a word any of them holds is one the sources could vouch for (see ``_required_terms``).
        ``names``: the places, people and organisations the question names (``constraints.names``).
        ``years``: the years the asker named (``constraints.years``); an answer repeating one need not
        find it in the chunk where a paragraph naming no year states its other figures -- such a
        paragraph (今年, 全年, or no time at all) is about its report's time, which
        ``constraints.uncovered`` judges with the document; a paragraph naming other years is about them."""
        self.sources = {s.n: s for s in sources}
        self.question = question
        self.idf = idf or (lambda term: 1.0)
        self.embeddings = embeddings
        self.usable = {s.n: self.usable_text(s, breaks=True) for s in sources}
        self._context_blob = "".join(self.usable.values()) + "".join(context)
        self._vec_cache: dict[str, list[float]] = {}
        self.names = list(names)
        self.years = set(years)
        self.find_names = find_names or (lambda text: [])  # the names a text states (``constraints.names``)

    @staticmethod
    def usable_text(source: Source, breaks: bool = False) -> str:
        """The chunk without planted instructions and what follows them in their paragraph;
        with ``breaks``, a paragraph break stays between sentences of two paragraphs."""
        spans = clean_spans(source.text)
        out = []
        for i, (s, e) in enumerate(spans):
            if breaks and i and "\n" in source.text[spans[i - 1][1] : s]:
                out.append("\n")
            out.append(source.text[s:e])
        return "".join(out)

    # -- support --------------------------------------------------------------------
    def _required_terms(self, sentence: str) -> list[str]:
        """Key terms the sources could vouch for; words only the question or the model used are
        paraphrase, and invented facts are caught by the numbers and their anchoring."""
        return [t for t in key_terms(sentence) if t in self._context_blob]

    def support(self, sentence: str, ns: list[int]) -> float:
        """0..1 support of ``sentence`` by sources ``ns`` (0 = unsupported)."""
        ns = [n for n in ns if n in self.sources]
        if not ns:
            return 0.0
        text = "".join(self.usable[n] for n in ns)
        if not numbers(sentence) - self._yearless_echo(sentence, text) <= numbers(text, chinese=True):
            return 0.0
        if is_cjk(sentence) or not is_cjk(text):
            required = self._required_terms(sentence)
            if not required:
                return 0.0 if not numbers(sentence) else 0.5
            if len(required) < 2 and not numbers(sentence):
                # one shared word proves little ("资料中没有相关信息" vs "相关证件"): judge all its words
                words = key_terms(sentence)
                if sum(t in text for t in words) / len(words) < TERM_SHARE:
                    return 0.0
            # words the answer repeats from the question restate it; they are not claims to find
            share = sum(t in text or t in self.question for t in required) / len(required)
            if share < TERM_SHARE or not self._claims_supported(required, text):
                return 0.0
            # a number the answer repeats from the question (5号线) is the question's, not a claim
            for num in numbers(sentence) - numbers(self.question):
                clause = next((c for c in re.split(r"[,，;；、]", sentence) if num in numbers(c)), sentence)
                if not self._anchored(num, required, ns, clause):
                    return 0.0
            return share
        if misscaled(sentence, text):  # "11.3 billion" for 11.3亿 (1.13 billion)
            return 0.0
        return self._similarity_support(sentence, text)

    def _yearless_echo(self, sentence: str, text: str) -> set[str]:
        """The asker's years ``sentence`` repeats, when a paragraph of ``text`` naming no year states
        its other figures (else none: each year it says must then be in the chunk)."""
        echoed = numbers(sentence) & self.years
        claimed = numbers(sentence) - echoed
        if not echoed or not claimed:
            return set()
        yearless = any(
            claimed <= numbers(p, chinese=True) and not any(_YEARLIKE_RE.fullmatch(n) for n in numbers(p))
            for p in text.split("\n")
        )
        return echoed if yearless else set()

    def _claims_supported(self, required: list[str], text: str) -> bool:
        """Do the cited chunks hold the terms the sentence adds to the question (rarity-weighted)?"""
        if not self.question:
            return True
        own = [t for t in required if t not in self.question]
        total = sum(self.idf(t) for t in own)
        return not own or sum(self.idf(t) for t in own if t in text) >= TERM_SHARE * total

    def _anchored(self, num: str, required: list[str], ns: list[int], claim: str = "") -> bool:
        """Is ``num`` stated in a chunk sentence about what the answer sentence is about?

        The sentence holding it must carry more than ``ANCHOR_SHARE`` of the sentence's
        key-term weight, or nearly (``ANCHOR_NEAR_BEST``) as much as the best-matching
        sentence of the cited chunks -- paraphrases share few words with any sentence.
        A term the answer repeats from the question names what is asked about, and a
        paragraph names its subject once ("5号线一期工程正式开通。线路全长27.4公里"): such a
        term counts when the paragraph states it before the sentence -- unless the chunk names
        one of the question's names (places, people, organisations) outside that paragraph,
        which is then about another subject. A name of the question counts also when the
        document's title (the chunk's section) states it: a report's title names what all of it
        is about ("青川市第十五届中小学生运动会落幕" over "…以11秒02夺冠"); another subject
        named in the paragraph is the constraints' concern (``constraints``). A term the answer
        adds (what it claims) counts only in the sentence itself. Nor does a number count in a clause that lists it beside a
        parallel one (``_swapped``: "外贸集装箱占比68%,内贸集装箱占比32%").
        """
        total = sum(self.idf(t) for t in required)
        echoed = {t for t in required if t in self.question}
        names = self.names

        def weight(piece: str, before: str) -> float:
            return sum(self.idf(t) for t in required if t in piece or (t in echoed and t in before))

        best, holding = 0.0, 0.0
        for n in ns:
            text = self.usable[n]
            title = "".join(m for m in names if m in self.sources[n].section)
            for s, e in split_sentences(text):
                start = text.rfind("\n", 0, s) + 1  # the paragraph so far
                outside = [m for m in names if m in text and m not in text[start:e]]
                w = weight(text[s:e], title + ("" if outside else text[start:s]))
                best = max(best, w)
                if num in numbers(text[s:e], chinese=True) and not self._swapped(num, claim, text[s:e]):
                    holding = max(holding, w)
        return holding > ANCHOR_SHARE * total or (best > 0 and holding >= ANCHOR_NEAR_BEST * best)

    def _swapped(self, num: str, claim: str, sentence: str) -> bool:
        return swapped(num, claim, sentence, self.question)

    def _vec(self, text: str) -> list[float]:
        if text not in self._vec_cache:
            self._vec_cache[text] = self.embeddings.embed_query(text)
        return self._vec_cache[text]

    def _similarity_support(self, sentence: str, text: str) -> float:
        if self.embeddings is None:
            return 0.5 if numbers(sentence) else 0.0
        a, b = self._vec(sentence), self._vec(text)
        sim = sum(x * y for x, y in zip(a, b)) / (
            (sum(x * x for x in a) ** 0.5) * (sum(y * y for y in b) ** 0.5) or 1.0
        )
        return sim if sim >= CROSS_SIMILARITY else 0.0

    # -- quotes -----------------------------------------------------------------------
    def quote(self, sentence: str, n: int, figures: set[str] | None = None) -> Citation:
        """The chunk sentence that states ``sentence``'s claim: the one holding most of its numbers
        (those it does not repeat from the question), then most of its terms, then the question's
        numbers. When the terms the
        answer repeats from the question stand earlier in the same paragraph (its subject, named
        once), the quote starts at the sentence naming them, so it shows what the figure is about.
        ``figures``: the numbers to quote instead (the operands of a computed figure); a quote
        reaches over up to ``QUOTE_BACK`` more sentences to hold all of them."""
        src = self.sources[n]
        nums = figures or (numbers(sentence) - numbers(self.question))
        echoed = numbers(sentence) - nums  # the question's own numbers (its year) only break ties
        terms = key_terms(sentence)
        spans = clean_spans(src.text)
        best, best_score = None, (-1, -1, -1)
        for i, (s, e) in enumerate(spans):
            piece = src.text[s:e]
            held = numbers(piece, chinese=True)
            score = (len(nums & held), sum(t in piece for t in terms), len(echoed & held))
            if score > best_score:
                best, best_score = i, score
        if best is None:
            return Citation(n, src.chunk_id, src.doc_id, src.section, src.start, src.end, src.text, src.page)
        first = best
        missing = [t for t in terms if t in self.question and t not in src.text[spans[best][0] : spans[best][1]]]
        for i in range(best - 1, max(-1, best - QUOTE_BACK - 1), -1):
            if not missing or "\n" in src.text[spans[i][1] : spans[i + 1][0]]:
                break  # the subject is in the sentence, or the paragraph starts here
            piece = src.text[spans[i][0] : spans[i][1]]
            if any(t in piece for t in missing):
                first = i
                missing = [t for t in missing if t not in piece]
        last = best
        if figures:
            held = numbers(src.text[spans[first][0] : spans[best][1]], chinese=True)
            for i in range(max(0, best - QUOTE_BACK), min(len(spans), best + QUOTE_BACK + 1)):
                if (figures - held) & numbers(src.text[spans[i][0] : spans[i][1]], chinese=True):
                    first, last = min(first, i), max(last, i)
        s, e = spans[first][0], spans[last][1]
        return Citation(n, src.chunk_id, src.doc_id, src.section, src.start + s, src.start + e, src.text[s:e], src.page)

    # -- the whole answer ---------------------------------------------------------------
    def check(self, answer: str) -> CheckResult:
        return self.assemble([self.check_sentence(*item) for item in cited_sentences(answer)])

    def check_sentence(self, sentence: str, cited: list[int], inner: bool = False) -> CheckedSentence:
        """One answer sentence (markers removed) citing ``cited``: kept, re-pointed or dropped."""
        if inner:  # removing the markers would cut words out of the sentence: never shown
            return CheckedSentence(sentence, [], "dropped", "citation markers inside the sentence")
        if looks_injected(sentence):
            return CheckedSentence(sentence, [], "dropped", "a directive or a statement about the system")
        valid = [n for n in cited if n in self.sources]
        if valid and self.support(sentence, valid) > 0:
            return CheckedSentence(sentence, valid, "kept")
        # Re-point: the single source that supports the sentence best.
        scored = [(self.support(sentence, [n]), n) for n in self.sources]
        score, best = max(scored, default=(0.0, None))
        if score > 0:
            reason = "uncited" if not cited else f"cited [{','.join(map(str, cited))}] does not support it"
            return CheckedSentence(sentence, [best], "repointed", reason)
        # A sentence joining two facts ("设立党员先锋队27个,又有181名退役军人加入…", "领队是高建华,
        # 累计发掘了1.2万平方米") may need two sources: each clause stating a figure or a name the
        # question does not hold must then be supported by one of them alone.
        claims = [c for c in re.split(r"[,，;；]", sentence) if self._states_fact(c)]
        if len(claims) >= 2:
            for a in self.sources:
                for b in self.sources:
                    if a < b and all(self.support(c, [a]) > 0 or self.support(c, [b]) > 0 for c in claims):
                        return CheckedSentence(sentence, [a, b], "repointed", "two sources, one for each of its figures")
        return self._derived(sentence) or CheckedSentence(sentence, [], "dropped", self._why(sentence))

    def _states_fact(self, clause: str) -> bool:
        """Does an answer's clause state a figure or a name its question does not hold?"""
        return bool(numbers(clause) - numbers(self.question)) or any(n not in self.question for n in self.find_names(clause))

    def _derived(self, sentence: str) -> CheckedSentence | None:
        """A sentence whose one unstated figure is a sum, difference or share the question asks for
        and code recomputes from figures anchored in the sources (``arithmetic``); all else it says
        must be supported by the sources of those figures."""
        asked = asks_calculation(self.question)
        if not asked:
            return None
        stated = numbers("".join(self.usable.values()), chinese=True) | numbers(self.question)
        unstated = [q for q in quantities(sentence) if q.number not in stated]
        if len(unstated) != 1 or numbers(sentence) - stated - {unstated[0].number}:
            return None
        target = unstated[0]
        rest = sentence.replace(target.raw, "")
        required = self._required_terms(rest)
        found = [
            (q, n) for n in self.sources for q in quantities(self.usable[n])
            if (same_kind(q.unit, target.unit) or q.share) and self._anchored(q.number, required, [n])
        ]
        d = derive(target, [q for q, _ in found], asked, approximate(self.question, sentence))
        if d is None:
            return None
        cited = sorted({n for q, n in found if q in d.operands})
        if required and self.support(rest, cited) <= 0:
            return None
        return CheckedSentence(sentence, cited, "derived", "computed from the sources", d)

    def computed(self, answer: str) -> CheckedSentence | None:
        """The difference or sum the question asks for, computed from the two figures ``answer``
        (the model's reply) states for it in one sentence: each in a clause without a computation of
        its own that one source supports, the two of one kind (``arithmetic.compute``). The model's
        own result is not taken: the sentence shown is the model's, from the first figure's clause to
        the second's, with the computation (a wrong result in a later clause is left out whole)."""
        asked = asks_calculation(self.question) & {"difference", "sum"}
        if not asked:
            return None
        asked_numbers = numbers(self.question)
        for sentence, _, _ in cited_sentences(answer):
            pieces = re.split(r"([,，;；])", sentence.rstrip("。.！!？?"))
            clauses = pieces[::2]
            found = []  # (figure, source, clause index)
            for i, clause in enumerate(clauses):
                figures = [q for q in quantities(clause) if q.number not in asked_numbers]
                if not figures or re.search(r"[=＝+−×÷]", clause):
                    continue
                score, n = max((self.support(clause, [n]), n) for n in self.sources)
                if score > 0:
                    found += [(q, n, i) for q in figures]
            d = compute(asked, [q for q, _, _ in found])
            if d is None:
                continue
            values = {o.value for o in d.operands}
            used = [(n, i) for q, n, i in found if q.value in values]
            first, last = min(i for _, i in used), max(i for _, i in used)
            text = "".join(pieces[2 * first : 2 * last + 1]) + ("。" if is_cjk(sentence) else ".")
            return CheckedSentence(text, sorted({n for n, _ in used}), "derived", "computed from the figures the answer states", d)
        return None

    def _why(self, sentence: str) -> str:
        blob = "".join(self.usable.values())
        missing = numbers(sentence) - numbers(blob, chinese=True)
        if missing:
            return f"number(s) {', '.join(sorted(missing))} occur in no source"
        return "no source supports it"

    def assemble(self, checked: list[CheckedSentence]) -> CheckResult:
        """The shown answer and one citation per cited source, whose quote spans what every
        sentence citing that source takes from it."""
        parts, citations = [], {}
        for c in checked:
            if c.status == "dropped":
                continue
            parts.append(join_cited(c.shown, c.cited))
            figures = {q.number for q in c.derivation.operands} if c.derivation else None
            for n in c.cited:
                quote = self.quote(c.text, n, figures)
                citations[n] = self._spanning(citations[n], quote) if n in citations else quote
        sep = "" if all(is_cjk(p) for p in parts) else " "
        return CheckResult(sep.join(parts), checked, sorted(citations.values(), key=lambda x: x.n))

    def _spanning(self, a: Citation, b: Citation) -> Citation:
        """One quote of a source from the start of ``a`` or ``b`` to the end of the later one."""
        src = self.sources[a.n]
        start, end = min(a.start, b.start), max(a.end, b.end)
        return replace(a, start=start, end=end, quote=src.text[start - src.start : end - src.start])
