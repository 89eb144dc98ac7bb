"""Structured answers: the model returns claims with verbatim quotes; each claim is checked whole.

The model answers in a JSON schema (``SCHEMA``, enforced by llama.cpp's grammar or an
OpenAI-compatible server's ``response_format``)::

    {"answerable": true, "claims": [{"text": "…", "source": 2, "quote": "<copied from source 2>"}]}

``ClaimStream`` reads the reply as it streams and hands over each claim as soon as its
object is complete, so a checked sentence can be shown while the model is still writing.
``ClaimChecker.check(claim)`` keeps or drops a claim -- never edits it:

1. **the quote is in a source**: found in the cited source, else in another (re-pointed),
   comparing without whitespace and punctuation; a near-verbatim quote (most characters
   in order) is matched to the source sentence it copies. The supporting sentence is the
   source sentence(s) the quote lies in.
2. **the claim says what the sentence says**: every number of the claim is in the
   supporting sentence with a measure word of the same kind (64岁 does not back "64年");
   the claim's own words (those not in the question) are mostly in the sentence
   (rarity-weighted); a claim that is a directive or speaks about the system is dropped.
3. **the sentence answers the question** (``constraints``): every year and date the
   question names, its places, people and organisations, its subject terms, and the
   kind of measure it asks for (growth, share, daily, per person) are covered by the
   sentence or its chunk.

Refusal is the model's ``"answerable": false`` or no claim surviving.
Shortcut: arithmetic over several claims is not done here; each claim stands alone.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from rag.answering import constraints
from rag.answering.citations import Citation, Source, key_terms, looks_injected
from rag.text import is_cjk, numbers, split_sentences

SCHEMA = {
    "type": "object",
    "properties": {
        "answerable": {"type": "boolean"},
        "claims": {
            "type": "array",
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 120},
                    "source": {"type": "integer"},
                    "quote": {"type": "string", "maxLength": 100},
                },
                "required": ["text", "source", "quote"],
            },
        },
    },
    "required": ["answerable", "claims"],
}
OWN_TERM_SHARE = 0.6  # rarity-weighted share of a claim's own words its supporting sentence must hold
FUZZY_QUOTE = 0.8  # a quote this similar to one source sentence is taken as a copy of it
_IGNORED = re.compile(r"[\s\W_]+", re.UNICODE)  # whitespace and punctuation, for quote matching


@dataclass
class Claim:
    text: str
    source: int
    quote: str

    def sentences(self) -> list[Claim]:
        """A claim is one sentence: one that holds several is checked sentence by sentence."""
        spans = split_sentences(self.text)
        if len(spans) <= 1:
            return [self]
        return [Claim(self.text[s:e], self.source, self.quote) for s, e in spans]

    @classmethod
    def from_json(cls, obj) -> Claim | None:
        if not isinstance(obj, dict):
            return None
        try:
            return cls(str(obj.get("text") or "").strip(), int(obj.get("source") or 0), str(obj.get("quote") or ""))
        except (TypeError, ValueError):
            return None


@dataclass
class Verdict:
    claim: Claim
    ok: bool
    reason: str = ""
    n: int = 0  # the source it rests on after checking
    citation: Citation | None = None


# -- reading the reply ---------------------------------------------------------------------------
class ClaimStream:
    """Feed it the reply piece by piece; ``feed`` returns the claims completed so far."""

    def __init__(self) -> None:
        self.text = ""
        self._pos: int | None = None  # where the next claim object may start
        self._done = False
        self._decoder = json.JSONDecoder(strict=False)  # a raw line break inside a string is tolerated

    def feed(self, piece: str) -> list[Claim]:
        self.text += piece
        out: list[Claim] = []
        if self._pos is None:
            m = re.search(r'"claims"\s*:\s*\[', self.text)
            if not m:
                return out
            self._pos = m.end()
        while not self._done:
            rest = self.text[self._pos :]
            stripped = rest.lstrip(" \t\r\n,")
            if not stripped:
                break
            start = self._pos + len(rest) - len(stripped)
            if stripped[0] == "]":
                self._done = True
                break
            try:
                obj, end = self._decoder.raw_decode(self.text, start)
            except json.JSONDecodeError:
                break  # the object is not complete yet
            self._pos = end
            claim = Claim.from_json(obj)
            if claim is not None:
                out += claim.sentences()
        return out

    @property
    def answerable(self) -> bool | None:
        m = re.search(r'"answerable"\s*:\s*(true|false)', self.text)
        return None if m is None else m.group(1) == "true"

    @property
    def is_claims(self) -> bool:
        """Did the reply come as claims (JSON, or at least one complete claim object before it broke
        off)? Otherwise it is read as prose."""
        return self._pos is not None or self.parsed() is not None

    def parsed(self) -> dict | None:
        """The whole reply as JSON, or None."""
        text = self.text.strip()
        m = re.search(r"\{.*\}", text, re.S)
        if not m:
            return None
        try:
            data = json.loads(m.group(0), strict=False)
        except json.JSONDecodeError:
            return None
        return data if isinstance(data, dict) else None


# -- checking ------------------------------------------------------------------------------------
def _squeeze(text: str) -> tuple[str, list[int]]:
    """Text without whitespace/punctuation (NFKC, case folded), and each kept character's offset."""
    chars, where = [], []
    for i, ch in enumerate(text):
        ch = unicodedata.normalize("NFKC", ch).casefold()
        if ch and not _IGNORED.fullmatch(ch):
            chars.append(ch)
            where.append(i)
    return "".join(chars), where


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Span of ``quote`` in ``text``, ignoring whitespace and punctuation; a near-verbatim quote
    matches the sentence it copies most of."""
    q, _ = _squeeze(quote)
    if len(q) < 2:
        return None
    t, where = _squeeze(text)
    i = t.find(q)
    if i >= 0:
        return where[i], where[i + len(q) - 1] + 1
    best, best_ratio = None, 0.0
    for s, e in split_sentences(text):
        sentence, _ = _squeeze(text[s:e])
        if not sentence:
            continue
        blocks = difflib.SequenceMatcher(None, q, sentence, autojunk=False).get_matching_blocks()
        ratio = sum(b.size for b in blocks) / len(q)
        if ratio > best_ratio:
            best, best_ratio = (s, e), ratio
    return best if best_ratio >= FUZZY_QUOTE else None


def _sentence_span(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """The span widened to whole sentences."""
    s, e = span
    for a, b in split_sentences(text):
        if a <= s < b:
            s = a
        if a < e <= b:
            e = b
    return s, e


class ClaimChecker:
    """Checks the claims of one answer against the numbered sources of one question."""

    def __init__(
        self,
        sources: list[Source],
        question: str,
        idf: Callable[[str], float] | None = None,
        common: Callable[[str], bool] | None = None,
        known: Callable[[str], float | None] | None = None,
        document: Callable[[str], str] | None = None,
    ):
        self.sources = {s.n: s for s in sources}
        self.question = question
        self.idf = idf or (lambda term: 1.0)
        self.asked = constraints.of_question(question, common or (lambda word: False), known or (lambda t: None))
        self.document = document  # doc id -> the document's text (names may stand anywhere in it)

    def check(self, claim: Claim) -> Verdict:
        if not claim.text:
            return Verdict(claim, False, "empty claim")
        if looks_injected(claim.text):
            return Verdict(claim, False, "the claim is an instruction or speaks about the system")
        first = self._quoted(claim)
        spans = [first] if first else []
        spans += [sp for sp in self._best_sentences(claim.text) if sp != first]
        if not spans:
            return Verdict(claim, False, "its quote is in no source")
        reasons = []
        for n, (s, e) in spans:  # the quoted sentence first, then the sentences that back the claim best
            why = self._why_not(claim.text, n, s, e)
            if not why:
                src = self.sources[n]
                citation = Citation(
                    n, src.chunk_id, src.doc_id, src.section, src.start + s, src.start + e, src.text[s:e], src.page
                )
                return Verdict(claim, True, "", n, citation)
            reasons.append(why)
        return Verdict(claim, False, reasons[0], spans[0][0])  # why the sentence it rests on fails

    def _quoted(self, claim: Claim) -> tuple[int, tuple[int, int]] | None:
        """(source, sentence span) of the claim's quote: in the cited source, else in another."""
        order = [claim.source] + [n for n in self.sources if n != claim.source]
        for n in order:
            if n in self.sources and claim.quote and (span := locate(claim.quote, self.sources[n].text)):
                return n, _sentence_span(self.sources[n].text, span)
        return None

    def _best_sentences(self, text: str, limit: int = 3) -> list[tuple[int, tuple[int, int]]]:
        """The source sentences that hold the claim's numbers and most of its words (when the quote
        is not a copy, or copies the wrong sentence): all numbers first, then shared numbers, then words."""
        nums, terms = numbers(text) - numbers(self.question), key_terms(text)
        scored = []
        for n, src in self.sources.items():
            for s, e in split_sentences(src.text):
                piece = src.text[s:e]
                held = nums & numbers(piece, chinese=True)
                words = sum(self.idf(t) for t in terms if t in piece)
                if held or words:
                    scored.append(((held == nums, len(held), words), n, (s, e)))
        scored.sort(key=lambda x: x[0], reverse=True)
        return [(n, span) for _, n, span in scored[:limit]]

    def _why_not(self, text: str, n: int, s: int, e: int) -> str:
        """Why the sentence ``[s:e]`` of source ``n`` does not back the claim (empty when it does)."""
        src = self.sources[n]
        sentence = src.text[s:e]
        if looks_injected(sentence):
            return "its quote is a planted instruction"
        before = [src.text[a:b] for a, b in split_sentences(src.text) if b <= s][-1:]
        near = f"{src.section}\n{''.join(before)}{sentence}"  # the sentence and its immediate context
        document = self.document(src.doc_id) if self.document else ""
        return (
            self._unsupported(text, sentence, near)
            or constraints.uncovered(self.asked, text, sentence, f"{src.section}\n{src.text}", document)
            or ""
        )

    def _unsupported(self, text: str, sentence: str, near: str) -> str | None:
        # numbers the question itself states are its constraints (checked by ``constraints``)
        missing = numbers(text) - numbers(self.question) - numbers(sentence, chinese=True)
        if missing:
            return f"number(s) {', '.join(sorted(missing))} are not in the quoted sentence"
        clash = constraints.unit_clash(text, sentence, self.question)
        if clash:
            return clash
        if is_cjk(text):
            own = [t for t in key_terms(text) if t not in self.question]
            total = sum(self.idf(t) for t in own)
            if own and sum(self.idf(t) for t in own if t in near) < OWN_TERM_SHARE * total:
                return "its words are not in the quoted sentence"
        return None
