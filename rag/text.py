"""Text helpers every stage shares: sentences, citation markers, numbers, script.

One implementation each, used by chunking, the citation checker, summaries and the
eval metrics alike, so the punctuation and marker rules cannot drift apart:

* ``split_sentences`` -- spans of sentences ending in Chinese 。！？；…, ASCII !?; or
  a full stop followed by a space, closing quotes kept with their sentence.
* ``split_cited`` / ``join_cited`` -- an answer's sentences with the ``[n]`` markers
  they carry (``[1]``, ``[1,2]``, ``【1】``, ``［1］``), and back.
* ``numbers`` -- the numbers a text states, digits and (optionally) Chinese numerals,
  parsed by ``cn2an`` (三万五 = 35000, 两 = 2).

Shortcut: a sentence is found by its end mark only; abbreviations such as "No. 5"
end a sentence in English text.
"""

from __future__ import annotations

import math
import re

CJK_RE = re.compile(r"[\u4e00-\u9fff]")
SENTENCE_END = "。！？!?；;."  # what may end a sentence ("." only before a space or the end)
_CLOSERS = "”’\"'」』）)】"
SENTENCE_RE = re.compile(
    rf".+?(?:[。！？!?；;]+|…+|\.(?=\s)|$)[{re.escape(_CLOSERS)}]*",
    re.S,
)
MARK_RE = re.compile(r"\s*[\[【［]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】］]")
_LIST_MARK_RE = re.compile(r"(?m)^[ \t]*(?:\d{1,2}(?:[.)）][ \t]+|、)|[-*•·][ \t]+)")
_MARKS_AFTER_END_RE = re.compile(
    r"([。！？!?；;.])((?:\s*[\[【［]\s*\d+(?:\s*[,，、]\s*\d+)*\s*[\]】］])+)"
)
NUM_RE = re.compile(r"\d+(?:[.,]\d+)*")
CN_NUM_RE = re.compile(r"[零〇一二两三四五六七八九十百千万亿]+")
NUMBER_PATTERN = rf"(?:{NUM_RE.pattern}|{CN_NUM_RE.pattern})"  # a number in digits or Chinese numerals


def is_cjk(text: str) -> bool:
    """True when more than 30 % of the letters are Chinese characters."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and sum(bool(CJK_RE.match(c)) for c in letters) / len(letters) > 0.3


def detect_language(text: str) -> str:
    return "zh" if is_cjk(text) else "en"


COMMON_WORD_FREQ = 1000  # a word jieba's dictionary counts this often is a common word, not a name


def common_word(word: str) -> bool:
    """Is ``word`` a common word of jieba's dictionary (开发, 师傅, 北京), not a name or a name's own
    part (化营, 钱永福)?"""
    import jieba

    return jieba.dt.FREQ.get(word, 0) >= COMMON_WORD_FREQ


# -- sentences ------------------------------------------------------------------------------
def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans ``(start, end)`` in ``text`` (shifted by ``offset``), whitespace trimmed."""
    spans = []
    for m in SENTENCE_RE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s + offset, e + offset))
    return spans


def split_end(sentence: str) -> tuple[str, str]:
    """``(body, end mark)``; a sentence without one gets 。 (Chinese) or . (other)."""
    if sentence and sentence[-1] in SENTENCE_END:
        return sentence[:-1], sentence[-1]
    return sentence, "。" if is_cjk(sentence) else "."


# -- citation markers ------------------------------------------------------------------------
def mark_numbers(text: str) -> list[int]:
    """Every source number the ``[n]`` markers in ``text`` cite, in order, without repeats."""
    found = [int(n) for m in MARK_RE.finditer(text) for n in re.split(r"[,，、]", m.group(1))]
    return list(dict.fromkeys(found))


def strip_marks(text: str) -> str:
    return MARK_RE.sub("", text)


def renumber_marks(text: str, new_number) -> str:
    """Rewrite each cited number through ``new_number(n) -> int | None`` (None drops it)."""

    def swap(m: re.Match) -> str:
        ns = [new_number(int(n)) for n in re.split(r"[,，、]", m.group(1))]
        return "".join(f"[{n}]" for n in dict.fromkeys(n for n in ns if n is not None))

    return MARK_RE.sub(swap, text)


def join_cited(sentence: str, cited: list[int]) -> str:
    """``"body[1][2]。"`` -- the markers before the sentence's end mark."""
    body, end = split_end(sentence)
    return body + "".join(f"[{n}]" for n in cited) + end


def split_cited(answer: str) -> list[tuple[str, list[int]]]:
    """Answer text -> ``[(sentence without markers, cited numbers)]``.

    List numbering ("1. …", "- …") is not content; a marker placed after the end
    mark ("…。[1]") belongs to the sentence before it.
    """
    return [(text, cited) for text, cited, _ in cited_sentences(answer)]


# a marker right after a word that points at documents, or joined to another by a conjunction,
# stands for a noun ("根据资料[1]和[2]", "参与了[1]和[2]两篇报道"): removing it cuts words out
_REFERENCE_MARK_RE = re.compile(
    r"(?:资料|材料|来源|文献|报道|文章|原文|段落|第|见|据|(?<![a-z])(?:sources?|documents?|passages?|see))" + MARK_RE.pattern
    + r"|" + MARK_RE.pattern + r"\s*(?:和|与|及|以及|或|and|or)\s*" + MARK_RE.pattern,  # "[1]和[2]": markers as nouns
    re.I,
)


# a sentence opening by naming its sources ("根据资料[1]和[2]的信息,", "According to [1], "): a clause
# of its own, which says what the markers say; the claim is the rest of the sentence
_ATTRIBUTION_RE = re.compile(
    r"^\s*(?:根据|依据|据|按照|从)\s*(?:资料|材料|来源|原文)?\s*(?:" + MARK_RE.pattern + r"\s*(?:和|与|及|、|,|，)?\s*)+"
    r"(?:中|里|所示|所述)?(?:的)?(?:信息|内容|数据|记载|介绍)?(?:可知|来看|显示|表明)?\s*[,，:：]\s*"
    r"|^\s*according to\s+(?:(?:the\s+)?(?:sources?|documents?|passages?)\s*)?(?:" + MARK_RE.pattern
    + r"\s*(?:and|,)?\s*)+[,:]\s*",
    re.I,
)


def cited_sentences(answer: str) -> list[tuple[str, list[int], bool]]:
    """Like ``split_cited``, with a third item: True when a marker stands for words (it follows a
    word pointing at documents: "参与了[1]和[2]两篇报道"), so removing it would cut the sentence.
    An opening clause that only names the sources ("根据资料[1]和[2]的信息,") is not part of the
    claim: its markers become the sentence's citations and the sentence starts after it."""
    text = _LIST_MARK_RE.sub("", answer.strip())
    text = _MARKS_AFTER_END_RE.sub(r"\2\1", text)
    out = []
    for s, e in split_sentences(text):
        sentence = text[s:e]
        opening = _ATTRIBUTION_RE.match(sentence)
        cited = mark_numbers(sentence)
        if opening and strip_marks(sentence[opening.end() :]).strip():
            sentence = sentence[opening.end() :]
            sentence = sentence[:1].upper() + sentence[1:]  # "the zone issued…" starts a sentence now
        clean = strip_marks(sentence).strip()
        if clean and re.search(r"\w", clean):
            out.append((clean, cited, bool(_REFERENCE_MARK_RE.search(sentence))))
    return out


def strip_end_marks(text: str) -> str:
    """``text`` without the markers that end a sentence (those before an end mark or a line end)."""
    return re.sub(MARK_RE.pattern + r"(?=\s*(?:[" + re.escape(SENTENCE_END) + r"]|$))", "", text, flags=re.M)


# -- numbers ---------------------------------------------------------------------------------
def chinese_numeral(word: str) -> int | float | None:
    """Value of a Chinese numeral (两 = 2, 三万五 = 35000, 三百零五 = 305), None if it is not one."""
    import cn2an

    try:
        value = cn2an.cn2an(word, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return int(value) if float(value).is_integer() else value


def numbers(text: str, chinese: bool = False) -> set[str]:
    """The numbers written in ``text`` as digits (markers ignored, thousands separators removed);
    with ``chinese``, Chinese numerals too (两个 -> "2")."""
    text = strip_marks(text)
    found = {n.replace(",", "") for n in NUM_RE.findall(text)}
    if chinese:
        found |= {str(v) for w in CN_NUM_RE.findall(text) if (v := chinese_numeral(w)) is not None}
    return found


_LATIN_RE = re.compile(r"[A-Za-z ]")


def estimate_tokens(text: str) -> int:
    """Tokens of a Qwen-like BPE vocabulary, for models whose tokenizer is not at hand: ~0.6 a
    Chinese character, ~0.25 an ASCII letter or space, 1 any other character (digits, Chinese
    punctuation). Within 1 % of the bundled model's count over the bundled and news corpora."""
    cjk = len(CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    return math.ceil(cjk * 0.6 + latin * 0.25 + (len(text) - cjk - latin))
