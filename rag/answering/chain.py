"""The answer chain: rewrite -> translate -> retrieve -> numbered sources -> model -> checked answer.

``AnswerChain.stream()`` yields typed events (``rag.answering.events``) as they happen
and ends with ``Done(answer)``; ``invoke()`` returns the final ``Answer``. The model call
is an LCEL pipeline (messages | chat model | string parser) over prompts rendered
strictly from ``prompts/``. What the model wrote is never returned unchecked:
``citations.Checker`` keeps, re-points or drops each sentence, and the answer becomes a
refusal in the question's language when retrieval found nothing, when the model says
the sources have no answer, or when no sentence survives the check. Planted
instructions inside documents are cut out of the sources before the model sees them.

Questions in other languages than the sources (English about Chinese text) are
translated into Chinese first, answered and checked in Chinese -- where the small local
model is reliable and the checks are exact -- and the checked answer is translated back
with its ``[n]`` markers and followed by the checked Chinese sentences in brackets; a
translation that changes a number or loses a marker is not used. Pinyin names in such
questions ("Naizifang") are first looked up in the corpus (``pinyin_names``) and written
next to the name, so the translation cannot garble them.

A question of several parts (？；) whose checked answer leaves one out has that part asked on its
own (its 该机场 read as the name before it) and checked the same way; its sentences join the answer.

A checked answer must also address the question (``answerability``): asked for a count
of vehicles, a number of trips is a refusal, and a name the question gives must occur
in the cited chunks. Shortcut: the language is zh when the question is mostly CJK, else en.
"""

from __future__ import annotations

import re
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableLambda

import prompts
from rag.answering import answerability, constraints, excerpts, pinyin_names, translation
from rag.answering.answer import Answer, Turn
from rag.answering.arithmetic import asks_calculation
from rag.answering.citations import CheckedSentence, Checker, Source, key_terms, looks_injected
from rag.answering.claims import SCHEMA, ClaimChecker, ClaimStream
from rag.answering.events import (
    Done,
    Draft,
    Event,
    Queued,
    Refused,
    Retry,
    Rewritten,
    Sentence,
    SourcesFound,
    Translated,
)
from rag.documents import SECTION_SEP
from rag.errors import InputError
from rag.index.retriever import Context, within_budget
from rag.models import model_errors, structured, token_counter
from rag.models.queue import shared_queue
from rag.settings import Settings, get_settings
from rag.text import cited_sentences, detect_language, is_cjk, join_cited, numbers, split_sentences

REFUSAL = {
    "zh": "资料中没有相关信息,无法回答这个问题。",
    "en": "The documents do not contain this information, so I cannot answer.",
}
# A sentence saying the sources have no answer. The strong phrases are a refusal wherever they
# stand; the weak ones (并未, 不知道, "not specified"...) also state facts ("企业并未停产[1]"), so
# they make a refusal only in a sentence that cites nothing -- the model is told to cite every fact.
STRONG_REFUSAL_RE = re.compile(
    r"资料中没有|没有相关信息|无法回答|no information|cannot (be )?answer|do(es)? not contain", re.I
)
REFUSAL_RE = re.compile(
    r"资料中没有|没有相关信息|没有提(到|及)|未提(到|及)|并未|无法回答|无法确定|不知道|没有说明|未说明|没有具体|未给出|没有给出"
    r"|do(es)? not (contain|mention|say|specify|provide|state|include)|no information|not mentioned"
    r"|cannot (be )?(answer|determine)|not (specified|stated|provided)|unknown",
    re.I,
)
ENTITY_MAX_SHARE = 0.2  # names in more of the chunks than this are the page's setting, not a subject
REPEAT_SHARE = 0.75  # share of a sentence's words already in the answer that makes a part's answer a repeat


# Words by which a question points back at the conversation (pronouns, demonstratives, "and ...?"
# openers); a question without them, and not elliptically short, stands on its own.
_REFERS_BACK_RE = re.compile(
    r"[他她它]|这|那|该[公企单村人项]|其[中他余]?|此|上述|前者|后者|对方|同期|当时|^(还有|另外|并且|而且|然后)"
    r"|\b(he|she|it|they|them|his|her|its|their|this|that|these|those|there|then|also)\b|^\s*(and|what about|how about)\b",
    re.I,
)


def refers_back(question: str) -> bool:
    """Does a follow-up need the chat history to be understood (so a rewrite call pays)?"""
    core = re.sub(r"[\s\W]+", "", question)
    short = len(core) <= (6 if is_cjk(question) else 12)
    return short or bool(_REFERS_BACK_RE.search(question))


@dataclass
class _Run:
    """One question on its way through the chain."""

    question: str
    lang: str
    t0: float = field(default_factory=time.perf_counter)
    timings: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    rewritten: str | None = None
    translated: str | None = None
    asked: str = ""  # the question as the model reads it
    query: str = ""  # what retrieval sees
    entities: list[str] = field(default_factory=list)  # names the cited chunks must mention
    unknown: list[str] = field(default_factory=list)  # places named in pinyin that no document mentions
    contexts: list[Context] = field(default_factory=list)
    usage: list[dict] = field(default_factory=list)  # one row per model call: tokens and seconds
    warning: str | None = None  # about the store read (mid-ingest, left partial by a crash)
    doc_ids: tuple[str, ...] = ()  # only these documents are searched (all when empty)
    ticket: int | None = None  # this run's place in the model queue, once it asked for one

    def mark(self, key: str, since: float | None = None) -> None:
        self.timings[key] = round(time.perf_counter() - (self.t0 if since is None else since), 4)

    def record(self, kind: str, messages: list, out: str, chunks: list, seconds: float) -> None:
        """Keep one model call: its messages and output (for replays) and what it cost."""
        self.calls.append((messages, out))
        row = {"call": kind, "seconds": round(seconds, 3)}
        for chunk in chunks:
            usage = getattr(chunk, "usage_metadata", None)
            if usage:
                row["prompt_tokens"] = usage.get("input_tokens", 0)
                row["cached_tokens"] = (usage.get("input_token_details") or {}).get("cache_read", 0)
                row["generated_tokens"] = usage.get("output_tokens", 0)
            meta = getattr(chunk, "response_metadata", None) or {}
            for key in ("prefill_s", "generate_s"):
                if key in meta:
                    row[key] = meta[key]
        self.usage.append(row)

    def _totals(self) -> None:
        """Per-answer sums over the model calls, beside the stage timings."""
        self.timings["model_calls"] = len(self.usage)
        for key in ("prompt_tokens", "cached_tokens", "generated_tokens", "prefill_s", "generate_s"):
            values = [row[key] for row in self.usage if key in row]
            if values:
                self.timings[key] = round(sum(values), 3)
        if "prompt_tokens" in self.timings:
            self.timings["evaluated_tokens"] = self.timings["prompt_tokens"] - self.timings.get("cached_tokens", 0)

    def done(self, text: str, refused: bool, citations=(), raw="", dropped=(), reason=None, source_text=None) -> Done:
        self.mark("answer_s")
        self._totals()
        return Done(
            Answer(
                question=self.question, text=text, refused=refused, citations=list(citations),
                contexts=self.contexts, rewritten_question=self.rewritten, translated_question=self.translated,
                language=self.lang, raw_answer=raw, dropped=list(dropped), refusal_reason=reason,
                timings=self.timings, model_calls=self.calls, source_text=source_text, usage=self.usage,
                warning=self.warning,
            )
        )

    def refuse(self, reason: str, raw: str = "", dropped=()) -> Iterator[Event]:
        yield Refused(REFUSAL[self.lang], reason)
        yield self.done(REFUSAL[self.lang], True, raw=raw, dropped=dropped, reason=reason)


def _message_text(chunk) -> str:
    return chunk if isinstance(chunk, str) else getattr(chunk, "content", "") or ""


class AnswerChain:
    def __init__(self, settings: Settings | None = None, retriever=None, llm=None, embeddings=None, queue=None):
        self.settings = settings or get_settings()
        # the model queue this chain waits in (``rag.models.queue``): the process's, unless given
        self.queue = queue if queue is not None else shared_queue(self.settings.model_concurrency)
        if retriever is None:
            from rag.index.retriever import HybridRetriever

            retriever = HybridRetriever.from_settings(self.settings)
        if llm is None:
            from rag.models import get_chat_model

            llm = get_chat_model(settings=self.settings)
        self.retriever = retriever
        self.llm = llm
        self.embeddings = embeddings if embeddings is not None else getattr(retriever, "embeddings", None)
        self._generate = RunnableLambda(lambda msgs: msgs) | llm
        self._names: tuple[tuple | None, dict[str, str], list[str]] | None = None  # (chunk ids, pinyin table, texts)
        self._documents: dict[str, str] = {}  # doc id -> text, for the claims' name checks

    # -- model calls ------------------------------------------------------------------
    def _stream_model(self, messages: list, run: _Run, kind: str, model=None) -> Iterator[str]:
        """The model's reply piece by piece; the call is recorded on ``run`` when it ends."""
        t, chunks, pieces = time.perf_counter(), [], []
        try:
            with model_errors():
                for chunk in (model or self._generate).stream(messages):
                    chunks.append(chunk)
                    text = _message_text(chunk)
                    pieces.append(text)
                    yield text
        finally:  # also when the reader stops early (a refusal needs no more of the reply)
            run.record(kind, messages, "".join(pieces).strip(), chunks, time.perf_counter() - t)

    def _complete(self, prompt: str, run: _Run, kind: str) -> str:
        t = time.perf_counter()
        out = "".join(self._stream_model([HumanMessage(prompt)], run, kind)).strip()
        run.mark(f"{kind}_s", since=t)
        return out

    def rewrite(self, question: str, history: list[Turn], run: _Run) -> str:
        """A standalone version of a follow-up question, from the chat history."""
        out = self._complete(prompts.render("rewrite", history=history[-3:], question=question), run, "rewrite")
        line = next((ln.strip() for ln in out.splitlines() if ln.strip()), "")
        line = re.sub(r"^(独立问题|改写后的问题|问题|standalone question)\s*[:：]\s*", "", line, flags=re.I)
        line = line.strip("\"'“”「」 ")
        if not line or len(line) > max(120, 4 * len(question)):
            return f"{history[-1].question} {question}"
        return line

    def translate_question(self, question: str, run: _Run) -> str:
        out = self._complete(prompts.render("translate_question", question=question), run, "translate_question")
        line = next((ln.strip() for ln in out.splitlines() if ln.strip()), "")
        line = re.sub(r"^(中文问题|问题)\s*[:：]\s*", "", line).strip("\"'“”「」 ")
        return line if is_cjk(line) and len(line) <= 4 * len(question) else question

    def translate_answer(self, answer: str, run: _Run) -> str | None:
        """English version of a checked Chinese answer, or None when the translation is unfaithful."""
        prepared = translation.prepare(answer)  # figures' English scale and names' pinyin beside them
        out = self._complete(prompts.render("translate_answer", answer=prepared.text), run, "translate_answer")
        out = re.sub(r"^(English translation|Translation)\s*[:：]\s*", "", out.strip(), flags=re.I).strip()
        months = set(re.findall(r"(\d{1,2})月", answer))  # "3月" becomes "March"
        return translation.cite(prepared, out) if translation.faithful(prepared, out, months) else None

    def pinyin_names(self, question: str) -> list[tuple[str, str, float]]:
        """(English spelling, Chinese name, share of chunks naming it) for pinyin names in ``question``."""
        table, texts = self._name_table()
        found = pinyin_names.find_names(question, table)
        return [(en, zh, sum(zh in t for t in texts) / max(1, len(texts))) for en, zh in found]

    def _name_table(self) -> tuple[dict[str, str], list[str]]:
        """The corpus's pinyin table and chunk texts, built once per set of indexed chunks."""
        store = getattr(self.retriever, "store", None)
        if store is None:
            return {}, []
        index = getattr(self.retriever, "lexical_index", None)
        key = tuple(index.ids) if index is not None else None  # the indexed chunks, known without I/O
        if self._names is None or key is None or self._names[0] != key:
            texts = [r[1] for r in store.all_chunks()]
            self._names = (key, pinyin_names.build_table(texts), texts)
        return self._names[1], self._names[2]

    def _queue_for_model(self, run: _Run) -> Iterator[Event]:
        """Take this run's turn at the model (kept until the answer is done), reporting the
        position while it waits; a no-op once the run has its turn."""
        if run.ticket is not None:
            return
        run.ticket = self.queue.enter()
        t = time.perf_counter()
        for position in self.queue.wait(run.ticket):
            yield Queued(position)
        if time.perf_counter() - t > 0.01:
            run.mark("queued_s", since=t)

    # -- the steps ------------------------------------------------------------------------
    def _understand(self, run: _Run, history: list[Turn]) -> Iterator[Event]:
        """Rewrite a follow-up; for a question in another language, find its pinyin names and
        translate it (the translation only helps retrieval; the model reads the question)."""
        if history and refers_back(run.question):
            yield from self._queue_for_model(run)
            run.rewritten = self.rewrite(run.question, history, run)
            yield Rewritten(run.rewritten)
        run.query = run.asked = run.rewritten or run.question
        if run.lang == "zh":
            return
        found = self.pinyin_names(run.query)
        run.asked = pinyin_names.annotate(run.query, [(en, zh) for en, zh, _ in found])
        # a name in most chunks (the city the whole page is about) says nothing about one chunk
        run.entities = [zh for _, zh, share in found if share <= ENTITY_MAX_SHARE]
        run.unknown = pinyin_names.unknown_places(run.query, self._name_table()[0])
        run.query = run.asked
        if self.settings.cross_lingual == "direct":  # retrieved as asked, answered in its language
            return
        yield from self._queue_for_model(run)
        translated = self.translate_question(run.asked, run)
        if translated != run.asked:  # else: no usable translation, answer in the question's language
            run.translated = translated
            run.query = f"{translated}\n{run.asked}"
            yield Translated(translated)

    def _retrieve(self, run: _Run) -> list[Source]:
        t = time.perf_counter()
        retriever = self.retriever.scoped(run.doc_ids) if run.doc_ids else self.retriever
        docs = retriever.invoke(run.query)
        docs = docs[: len(within_budget([d.page_content for d in docs], self.settings.context_chars))]
        run.mark("retrieve_s", since=t)
        run.contexts = [Context.from_document(d) for d in docs]
        run.warning = getattr(retriever, "warning", None)
        return [
            Source(i, c.chunk_id, c.doc_id, c.section, c.text, c.start, c.end, c.page) for i, c in enumerate(run.contexts, 1)
        ]

    def _excerpts(self, query: str, sources: list[Source]) -> tuple[list[Source], list[dict]]:
        """The sources the model will read and their passages: the best-ranked chunk
        whole, then the other chunks' sentences that bear on the question, within
        ``context_tokens`` model tokens (``excerpts``); every chunk whole when it is 0."""
        label = lambda src: _heading(src.section)  # noqa: E731
        budget = self.settings.context_tokens
        usable = [Checker.usable_text(src) for src in sources]
        if budget <= 0:
            return sources, [{"n": s.n, "section": label(s), "text": u or "…"} for s, u in zip(sources, usable)]
        count = token_counter(self.llm)
        chosen = excerpts.select(
            query, usable, budget, count,
            overhead=lambda i: count(f"[{sources[i].n}] ({label(sources[i])}) "),
        )
        kept = [sources[e.index] for e in chosen]  # numbers stay those of the sources card
        passages = [{"n": src.n, "section": label(src), "text": e.text} for src, e in zip(kept, chosen)]
        return kept, passages

    def _draft(self, run: _Run, passages: list[dict], question: str | None = None) -> Generator[Event, None, str]:
        """Ask the model (``question``: instead of the run's); yields its pieces as ``Draft`` events
        and returns the whole reply."""
        lang = "zh" if run.translated else run.lang  # answer in the sources' language, translate after
        question = question or (f"{run.asked}(请用中文回答)" if run.translated else run.query)
        messages = [
            SystemMessage(prompts.render(f"answer_system_{lang}")),
            HumanMessage(prompts.render(
                "answer_user", passages=passages, question=question, lang=lang, calculate=_calculates(run),
            )),
        ]
        pieces: list[str] = []
        for piece in self._stream_model(messages, run, "answer"):
            if piece:
                if "ttft_s" not in run.timings:
                    run.mark("ttft_s")
                pieces.append(piece)
                yield Draft(piece)
        return "".join(pieces).strip()

    def _answered(self, run: _Run, text: str, citations: list, raw: str, dropped: list[dict]) -> Done:
        """The checked answer; for a translated question, in English with the checked text beside it."""
        source_text = None
        if run.translated and is_cjk(text):  # (claims may already be in the question's language)
            english = self.translate_answer(text, run)
            if english is None:
                dropped.append({"sentence": "(translation)", "reason": "translation changed a number, a name or a marker"})
            else:
                # A small model's translation can drop or garble names: the checked answer in the
                # sources' language is kept beside it, so nothing the sources say is lost.
                text, source_text = english, text
        return run.done(text, False, citations, raw=raw, dropped=dropped, source_text=source_text)

    # -- the chain ----------------------------------------------------------------------
    def stream(self, question: str, history: list[Turn] | None = None, doc_ids=()) -> Iterator[Event]:
        """Answer ``question`` (``doc_ids``: search only these documents), as events."""
        limit = self.settings.max_question_chars
        if len(question) > limit:
            raise InputError(
                f"the question is {len(question):,} characters long; the limit is {limit:,}",
                hint="ask a shorter question (or raise RAG_MAX_QUESTION_CHARS)",
            )
        history = [h if isinstance(h, Turn) else Turn(*h) for h in (history or [])]
        run = _Run(question, detect_language(question), doc_ids=tuple(doc_ids or ()))
        try:
            yield from self._answer(run, history)
        finally:  # the model's turn goes to the next in the queue, also when the reader left
            if run.ticket is not None:
                self.queue.leave(run.ticket)

    def _answer(self, run: _Run, history: list[Turn]) -> Iterator[Event]:
        yield from self._understand(run, history)
        sources = self._retrieve(run)
        yield SourcesFound(run.contexts, excerpts.best_spans(run.query, [c.text for c in run.contexts]), run.warning)
        if not sources:
            yield from run.refuse("no sources retrieved")
            return
        if run.unknown:  # "Anci District": no document's characters read so; none can answer for it
            yield from run.refuse(f"the documents never mention {', '.join(run.unknown)}")
            return
        yield from self._queue_for_model(run)
        retrieved = [src.text for src in sources]
        sources, passages = self._excerpts(run.query, sources)
        index = getattr(self.retriever, "lexical_index", None)
        checker = Checker(
            sources, self.embeddings, idf=index.idf if index else None, question=run.query, context=retrieved,
            names=constraints.names(run.query) if is_cjk(run.query) else [], find_names=constraints.names,
            years=constraints.years(run.asked),
        )
        if self.settings.answer_mode == "claims":
            yield from self._claims(run, sources, passages, checker)
            return
        prose = _Prose(self, run, checker, sources)
        yield from prose.feed(self._draft(run, passages))
        if prose.refused and len(passages) > 1:
            # A small model loses an answer among several passages (often a paraphrased one);
            # asked again with the best-ranked passage alone it finds it. What it then says
            # is checked like any answer, so a near miss is still refused.
            yield Retry("the model found no answer; asking again with the best source alone")
            run.timings["retries"] = 1
            prose = _Prose(self, run, checker, sources)
            yield from prose.feed(self._draft(run, passages[:1]))
        for part, before in self._left_out(run, prose):
            # a small model answers the first of several questions and stops: each part its answer
            # left out is asked on its own, checked like any answer, and its sentences join the answer
            yield Retry(f"asking for a part of the question the answer left out: {part}")
            run.timings["part_calls"] = run.timings.get("part_calls", 0) + 1
            extra = _Prose(self, run, checker, sources)
            yield from extra.feed(self._draft(run, passages, question=constraints.standalone(part, before)))
            if not extra.refused:
                prose.checked += [c for c in extra.checked if c.status != "dropped" and not _repeats(c.text, prose.checked)]
                prose.raw += "\n" + extra.raw
        yield from prose.conclude()

    @staticmethod
    def _left_out(run: _Run, prose: _Prose) -> list[tuple[str, str]]:
        """The parts of a question of several (？；) that the checked answer does not touch: none of
        the words that part has and the others lack is in a sentence kept; each with the parts
        before it. Chinese questions only; a refusal stays one."""
        parts = constraints.parts(run.query)
        kept = _kept_text(prose.checked)
        if prose.refused or run.translated or len(parts) < 2 or not kept:
            return []
        out = []
        for i, part in enumerate(parts):
            others = "".join(p for k, p in enumerate(parts) if k != i)
            own = [t for t in key_terms(part) if t not in others]
            if own and not any(t in kept for t in own):
                out.append((part, "".join(parts[:i])))
        return out

    # -- structured answers (answer_mode="claims") --------------------------------------------
    def _claims(self, run: _Run, sources: list[Source], passages: list[dict], checker: Checker) -> Iterator[Event]:
        """Claims with verbatim quotes, each checked whole as soon as it is complete (``claims``)."""
        index = getattr(self.retriever, "lexical_index", None)
        claim_checker = ClaimChecker(
            sources, run.asked if not run.translated else run.translated,
            idf=index.idf if index else None,
            common=self._common, known=self._known, document=self._document_text,
        )
        verdicts, reply = yield from self._claims_draft(run, passages, claim_checker)
        if not any(v.ok for v in verdicts) and reply.answerable is False and len(passages) > 1:
            yield Retry("the model found no answer; asking again with the best source alone")
            run.timings["retries"] = 1
            verdicts, reply = yield from self._claims_draft(run, passages[:1], claim_checker)
        raw = reply.text.strip()
        if not reply.is_claims:  # not JSON (a server that ignores response_format): read it as prose
            prose = _Prose(self, run, checker, sources)
            yield from (e for e in prose.feed(iter([Draft(raw)])) if not isinstance(e, Draft))
            yield from prose.conclude()
            return
        dropped = [{"sentence": v.claim.text, "reason": v.reason} for v in verdicts if not v.ok]
        kept = [v for v in verdicts if v.ok]
        if not kept:
            reason = "the model found no answer in the sources" if not verdicts else "no claim is supported by the sources"
            yield from run.refuse(reason, raw=raw, dropped=dropped)
            return
        text = "".join(dict.fromkeys(join_cited(v.claim.text, [v.n]) for v in kept))
        citations = list({v.n: v.citation for v in reversed(kept)}.values())
        citations.sort(key=lambda c: c.n)
        cited = [src for src in sources if src.n in {c.n for c in citations}]
        role = answerability.asked_role(run.translated or run.asked)
        cited_text = "".join(f"{src.section}{src.text}" for src in cited)
        if role and not answerability.role_in(role, cited_text) and (not run.translated or self._known(role)):
            yield from run.refuse(f"the question asks about a {role}, which the cited sources do not mention", raw=raw, dropped=dropped)
            return
        missing = answerability.missing_entities(run.entities, cited_text)
        if missing:
            yield from run.refuse(f"the cited sources do not mention {', '.join(missing)}", raw=raw, dropped=dropped)
            return
        yield self._answered(run, text, citations, raw, dropped)

    def _claims_draft(self, run: _Run, passages: list[dict], claim_checker: ClaimChecker):
        """Ask for claims; yields a ``Sentence`` for each claim that passes as soon as it is complete."""
        lang = "zh" if run.translated else run.lang
        question = f"{run.asked}(请用中文回答)" if run.translated else run.query
        messages = [
            SystemMessage(prompts.render(f"answer_claims_system_{lang}")),
            HumanMessage(prompts.render(
                "answer_user", passages=passages, question=question, lang=lang, calculate=_calculates(run),
            )),
        ]
        reply, verdicts = ClaimStream(), []
        for piece in self._stream_model(messages, run, "answer", model=structured(self.llm, SCHEMA)):
            if piece and "ttft_s" not in run.timings:
                run.mark("ttft_s")
            for claim in reply.feed(piece):
                verdict = claim_checker.check(claim)
                verdicts.append(verdict)
                if verdict.ok:
                    if "first_sentence_s" not in run.timings:
                        run.mark("first_sentence_s")
                    yield Sentence(join_cited(claim.text, [verdict.n]), [verdict.citation])
        return verdicts, reply

    def _document_text(self, doc_id: str) -> str:
        store = getattr(self.retriever, "store", None)
        if store is None:
            return ""
        if doc_id not in self._documents:
            doc = store.get_document(doc_id)
            self._documents[doc_id] = doc.text if doc else ""
        return self._documents[doc_id]

    def _common(self, word: str) -> bool:
        """Is ``word`` in so many chunks that it is the corpus's setting, not a subject?"""
        index = getattr(self.retriever, "lexical_index", None)
        if index is None or not index.ids:
            return False
        return index.df.get(word, 0) / len(index.ids) > ENTITY_MAX_SHARE

    def _known(self, term: str) -> float | None:
        """A term's rarity weight when the corpus uses it, else None."""
        index = getattr(self.retriever, "lexical_index", None)
        if index is None or not index.df.get(term):
            return None
        return index.idf(term)

    def off_focus(
        self, question: str, translated: str | None, answer: str, cited: list[Source], entities: list[str],
        quotes: str = "",
    ) -> str | None:
        """Why a checked ``answer`` citing ``cited`` (its quoted sentences: ``quotes``) does not answer
        ``question`` (``answerability``), or None. People-times (人次) answer a how-many-people
        question only where the quotes give no plain head count (``constraints.quantity_clash``)."""
        mismatch = constraints.quantity_clash(question, answer, quotes)
        if mismatch:
            return mismatch
        cited_text = "".join(f"{src.section}{src.text}" for src in cited)
        role = answerability.asked_role(translated or question)
        index = getattr(self.retriever, "lexical_index", None)
        # a translated role may be a word the documents never use: judged only when they do
        known = not translated or (index is not None and role in index.df)
        if role and known and not answerability.role_in(role, cited_text):
            return f"the question asks about a {role}, which the cited sources do not mention"
        missing = answerability.missing_entities(entities, cited_text)
        return f"the cited sources do not mention {', '.join(missing)}" if missing else None

    def warm(self, passages: bool = False, progress=None) -> int:
        """Load the local model and evaluate the answer prompt's static start (the system prompt)
        once, so the first question finds it in llama.cpp's prompt cache. A remote model is not called.
        jieba's part-of-speech tagger (the questions' constraints) is loaded here too.

        With ``passages``, also save the KV state of the prompt's start with each chunk of the
        store as passage [1] (``rag.models.prefixes``: the same answers, up to the order llama.cpp
        adds up in, with a shorter prefill),
        until ``RAG_PREFIX_CACHE_MB`` is full; ``progress(done, total)`` is called after
        each chunk. Returns the number of states saved."""
        from rag.models.local import LocalLlamaChat

        constraints.of_question("全区有多少名志愿者?")
        if not isinstance(self.llm, LocalLlamaChat):
            return 0
        system = SystemMessage(prompts.render(
            "answer_claims_system_zh" if self.settings.answer_mode == "claims" else "answer_system_zh"
        ))
        with model_errors():
            self.llm.invoke([system, HumanMessage("资料:")], max_tokens=1)
        store = getattr(self.retriever, "store", None)
        if not passages or store is None or self.settings.context_tokens <= 0:
            return 0
        rows = store.all_chunks()
        saved = 0
        with model_errors():
            for done, (chunk_id, text, meta) in enumerate(rows, 1):
                source = Source(1, chunk_id, meta["doc_id"], meta["section"], text, meta["start"], meta["end"])
                _, first = self._excerpts("", [source])
                user = prompts.render("answer_user", passages=first, question="", lang="zh", calculate=False)
                outcome = self.llm.remember([system, HumanMessage(user)])
                saved += outcome in ("saved", "full")
                if progress:
                    progress(done, len(rows))
                if outcome in ("off", "full"):  # off, or no room for more: later ones would evict earlier ones
                    break
        return saved

    def invoke(self, question: str, history: list[Turn] | None = None, doc_ids=()) -> Answer:
        for event in self.stream(question, history, doc_ids):
            if isinstance(event, Done):
                return event.answer
        raise RuntimeError("the answer chain ended without an answer")  # pragma: no cover


def _kept_text(checked: list[CheckedSentence]) -> str:
    """What the sentences the check kept say, run together."""
    return "".join(c.text for c in checked if c.status != "dropped")


def _repeats(sentence: str, checked: list[CheckedSentence]) -> bool:
    """Does a sentence only say again what the kept sentences say: a figure they state already, or,
    stating none, ``REPEAT_SHARE`` of its words?"""
    kept = _kept_text(checked)
    if numbers(sentence):
        return numbers(sentence) <= numbers(kept)
    terms = key_terms(sentence)
    return bool(terms) and sum(t in kept for t in terms) >= REPEAT_SHARE * len(terms)


def _calculates(run: _Run) -> bool:
    """Does the question ask for a sum or a difference? The model is then asked to show its
    calculation: a small model adds and subtracts better when it writes the operands first, and
    the checker recomputes the result from them (``arithmetic``). A question about growth (增长了
    多少) is answered by the rate a source states, not by a subtraction."""
    question = run.translated or run.asked
    return bool(asks_calculation(question) & {"sum", "difference"}) and "growth" not in constraints.measures(question)


def _heading(section: str) -> str:
    """A passage's label for the model: its section's own heading, unless that heading is a
    planted instruction (headings are document text too)."""
    heading = section.split(SECTION_SEP)[-1]
    return "…" if looks_injected(heading) else heading


class _Prose:
    """The model's prose checked sentence by sentence while it is written.

    A sentence is checked as soon as the next one has begun (so its end mark and markers are
    in) or the reply ends, and shown (``Sentence``) once it passes the citation check and
    the answer so far addresses the question (``AnswerChain.off_focus``); sentences that
    pass the check before the answer so far does are held and shown together when it does.
    A reply whose first sentence says the sources have no answer is a refusal; a later
    sentence saying so is dropped, and what was already shown stands.
    """

    def __init__(self, chain: AnswerChain, run: _Run, checker: Checker, sources: list[Source]):
        self.chain, self.run, self.checker, self.sources = chain, run, checker, sources
        # what a supporting sentence must cover: the question's years, names, subject, measure
        self.asked = constraints.of_question(run.translated or run.asked, chain._common, chain._known)
        if run.translated:  # a translation's years and names may be the model's own, not the asker's
            self.asked = constraints.translated(self.asked, run.asked)
        self.raw = ""
        self.checked: list = []  # CheckedSentence, in order
        self.held: list = []  # passed the check, waiting for the answer to address the question
        self.off: list[str] = []  # why supported sentences do not answer this question
        self.refused = False

    def feed(self, draft: Iterator[Event]) -> Iterator[Event]:
        done = 0
        for event in draft:
            yield event
            self.raw += event.text
            items = cited_sentences(self.raw)
            # the last item may still be growing; the others are complete once a word follows them
            ready = len(items) - 1 if items and re.search(r"\w", items[-1][0]) else 0
            for item in items[done:ready]:
                yield from self._sentence(*item)
            done = max(done, ready)
            if self.refused:
                return
        for item in cited_sentences(self.raw)[done:]:
            yield from self._sentence(*item)
        if not self.raw.strip():
            self.refused = True

    def _sentence(self, sentence: str, cited: list[int], inner: bool) -> Iterator[Event]:
        if self.refused:
            return
        if STRONG_REFUSAL_RE.search(sentence) or (REFUSAL_RE.search(sentence) and not cited):
            if not self.checked:
                self.refused = True  # the model's answer is that the sources do not have one
            else:
                self.checked.append(CheckedSentence(sentence, [], "dropped", "says the sources have no answer"))
            return
        t = time.perf_counter()
        c = self.checker.check_sentence(sentence, cited, inner)
        if c.status != "dropped" and (why := self._off_question(c)):
            c = CheckedSentence(c.text, [], "dropped", why)
            self.off.append(why)
        self.run.timings["check_s"] = round(self.run.timings.get("check_s", 0) + time.perf_counter() - t, 4)
        self.checked.append(c)
        if c.status != "dropped":
            yield from self._hold(c)

    def _hold(self, c: CheckedSentence) -> Iterator[Event]:
        """Show a checked sentence, with those held before it, once the answer addresses the question."""
        self.held.append(c)
        if self._miss() is None:
            for c in self.held:
                self.run.timings.setdefault("first_sentence_s", round(time.perf_counter() - self.run.t0, 4))
                result = self.checker.assemble([c])
                yield Sentence(join_cited(c.shown, c.cited), result.citations)
            self.held = []

    def _off_question(self, c: CheckedSentence) -> str | None:
        """Why no sentence the checked sentence cites answers *this* question (``constraints``: another
        year, place or subject, another measure, a number of another kind), or None."""
        whys = []
        citations = self.checker.assemble([c]).citations
        if c.derivation:  # a computed figure: its operands' sentences together answer the question
            quotes = "".join(x.quote for x in citations)
            cited = [s for s in self.sources if s.n in c.cited]
            documents = {s.doc_id: self.chain._document_text(s.doc_id) for s in cited}
            for operand in c.derivation.operands:  # and each is a figure of what the question asks about
                src, sentence = next(
                    ((s, s.text[a:b]) for s in cited for a, b in split_sentences(s.text) if operand.raw in s.text[a:b]),
                    (None, ""),
                )
                others = "".join(text for doc, text in documents.items() if src is not None and doc != src.doc_id)
                if src is not None and (why := constraints.operand_clash(
                    self.asked, sentence, f"{src.section}\n{src.text}", documents[src.doc_id], operand.raw, others
                )):
                    return why
            context = "\n".join(f"{s.section}\n{s.text}" for s in cited)
            return constraints.uncovered(self.asked, c.text, quotes, context, self.chain._document_text(cited[0].doc_id), computed=True)
        claimed = numbers(c.text) - numbers(self.asked.question)
        for citation in citations:
            src = next(s for s in self.sources if s.n == citation.n)
            # judged on the sentence that states the claimed figure, when the quote is another one
            holding = [src.text[a:b] for a, b in split_sentences(src.text) if claimed and claimed <= numbers(src.text[a:b], chinese=True)]
            sentence = holding[0] if holding else citation.quote
            why = constraints.unit_clash(c.text, sentence, self.asked.question) or constraints.uncovered(
                self.asked, c.text, sentence, f"{src.section}\n{src.text}", self.chain._document_text(src.doc_id)
            )
            if why is None:
                return None
            whys.append(why)
        return whys[0] if whys else None

    def _compute(self) -> Iterator[Event]:
        """When the sentence giving a difference or sum the question asks for failed the check (a
        small model subtracts wrongly from the right figures), the figure computed in code from the
        figures the reply states (``Checker.computed``), held to the question's constraints like a
        figure the model computed."""
        kept = [c for c in self.checked if c.status != "dropped"]
        if any(c.derivation for c in kept) or len(kept) == len(self.checked):
            return
        c = self.checker.computed(self.raw)
        if c is None or numbers(c.derivation.target.raw) <= numbers(_kept_text(self.checked)):
            return
        if why := self._off_question(c):
            self.off.append(why)
            return
        self.checked.append(c)
        yield from self._hold(c)

    def _miss(self, result=None) -> str | None:
        result = result or self.checker.assemble(self.checked)
        cited = [src for src in self.sources if src.n in {c.n for c in result.citations}]
        quotes = "".join(c.quote for c in result.citations)
        return self.chain.off_focus(self.run.asked, self.run.translated, result.text, cited, self.run.entities, quotes)

    def conclude(self) -> Iterator[Event]:
        run, raw = self.run, self.raw.strip()
        if self.refused:
            yield from run.refuse("the model found no answer in the sources", raw=raw)
            return
        yield from self._compute()
        result = self.checker.assemble(self.checked)
        dropped = [{"sentence": d.text, "reason": d.reason} for d in result.dropped]
        if not result.citations:
            reason = self.off[0] if self.off else "no sentence is supported by the sources"
            yield from run.refuse(reason, raw=raw, dropped=dropped)
            return
        miss = self._miss(result)
        if miss:
            yield from run.refuse(miss, raw=raw, dropped=dropped)
            return
        yield self.chain._answered(run, result.text, result.citations, raw, dropped)
