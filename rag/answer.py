"""The answer chain: rewrite -> retrieve -> numbered sources -> model -> checked answer.

``AnswerChain.stream()`` yields events as they happen (``rewrite``, ``translation``,
``contexts``, ``token`` ..., ``retry`` when the model is asked again, and finally
``answer`` with a typed ``Answer``); ``invoke()`` just
returns the final ``Answer``. The model call is an LCEL pipeline
(messages | chat model | string parser) over prompts rendered strictly from
``prompts/``. What the model wrote is never returned unchecked: ``citations.Checker``
keeps, re-points or drops each sentence, and the answer becomes a refusal in
the question's language when retrieval found nothing, when the model says the
sources have no answer, or when no sentence survives the check. Planted
instructions inside documents are cut out of the sources before the model sees
them.

Questions in other languages than the sources (English about Chinese text) are
translated into Chinese first, answered and checked in Chinese -- where the
small local model is reliable and the checks are exact -- and the checked answer
is translated back with its ``[n]`` markers and followed by the checked Chinese
sentences in brackets (the small model's translation can garble names); a
translation that changes a number or loses a marker is not used. Pinyin names
in such questions ("Naizifang") are first looked up in the corpus (``rag.names``)
and written next to the name, so the translation cannot garble them.

A checked answer must also address the question (``rag.focus``): asked for a
count of vehicles, a number of trips is a refusal, and a name the question gives
must occur in the cited chunks.
Shortcut: the language is zh when the question is mostly CJK, else en.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableLambda

import prompts

from . import focus, names
from .citations import Checker, Citation, Source, is_cjk
from .errors import RagError
from .evaluation import context_record, within_budget
from .settings import Settings, get_settings

REFUSAL = {
    "zh": "资料中没有相关信息,无法回答这个问题。",
    "en": "The documents do not contain this information, so I cannot answer.",
}
REFUSAL_RE = re.compile(
    r"资料中没有|没有相关信息|没有提(到|及)|未提(到|及)|并未|无法回答|无法确定|不知道|没有说明|未说明|没有具体|未给出|没有给出"
    r"|do(es)? not (contain|mention|say|specify|provide|state|include)|no information|not mentioned"
    r"|cannot (be )?(answer|determine)|not (specified|stated|provided)|unknown",
    re.I,
)


ENTITY_MAX_SHARE = 0.2  # names in more of the chunks than this are the page's setting, not a subject


def detect_language(text: str) -> str:
    return "zh" if is_cjk(text) else "en"


@dataclass
class Answer:
    question: str
    text: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    contexts: list[dict] = field(default_factory=list)
    rewritten_question: str | None = None
    translated_question: str | None = None
    language: str = "zh"
    raw_answer: str = ""
    dropped: list[dict] = field(default_factory=list)  # sentences removed by the check, with reasons
    refusal_reason: str | None = None
    timings: dict = field(default_factory=dict)
    model_calls: list[tuple[list, str]] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "rewritten_question": self.rewritten_question,
            "translated_question": self.translated_question,
            "answer": self.text,
            "refused": self.refused,
            "refusal_reason": self.refusal_reason,
            "language": self.language,
            "citations": [c.to_dict() for c in self.citations],
            "contexts": self.contexts,
            "raw_answer": self.raw_answer,
            "dropped": self.dropped,
            "timings": self.timings,
        }


@dataclass
class Turn:
    question: str
    answer: str


def _message_text(chunk) -> str:
    return chunk if isinstance(chunk, str) else getattr(chunk, "content", "") or ""


class AnswerChain:
    def __init__(self, settings: Settings | None = None, retriever=None, llm=None, embeddings=None):
        self.settings = settings or get_settings()
        if retriever is None:
            from .retriever import HybridRetriever

            retriever = HybridRetriever.from_settings(self.settings)
        if llm is None:
            from .llm import get_chat_model

            llm = get_chat_model(settings=self.settings)
        self.retriever = retriever
        self.llm = llm
        self.embeddings = embeddings if embeddings is not None else getattr(retriever, "embeddings", None)
        self._generate = RunnableLambda(lambda msgs: msgs) | llm | StrOutputParser()
        self._names: tuple[tuple | None, dict[str, str], list[str]] | None = None  # (chunk ids, pinyin table, texts)

    # -- model calls ------------------------------------------------------------------
    def _stream_model(self, messages: list) -> Iterator[str]:
        from .llm import translate_model_error

        try:
            for piece in self._generate.stream(messages):
                yield _message_text(piece)
        except RagError:
            raise
        except Exception as exc:  # noqa: BLE001 - provider errors become one readable ModelError
            err = translate_model_error(exc)
            if err is None:
                raise
            raise err from exc

    def rewrite(self, question: str, history: list[Turn], calls: list) -> str:
        """A standalone version of a follow-up question, from the chat history."""
        text = prompts.render("rewrite", history=history[-3:], question=question)
        messages = [HumanMessage(text)]
        out = "".join(self._stream_model(messages)).strip()
        calls.append((messages, out))
        line = next((ln.strip() for ln in out.splitlines() if ln.strip()), "")
        line = re.sub(r"^(独立问题|改写后的问题|问题|standalone question)\s*[:：]\s*", "", line, flags=re.I)
        line = line.strip("\"'“”「」 ")
        if not line or len(line) > max(120, 4 * len(question)):
            return f"{history[-1].question} {question}"
        return line

    def _complete(self, prompt: str, calls: list) -> str:
        messages = [HumanMessage(prompt)]
        out = "".join(self._stream_model(messages)).strip()
        calls.append((messages, out))
        return out

    def translate_question(self, question: str, calls: list) -> str:
        out = self._complete(prompts.render("translate_question", question=question), calls)
        line = next((ln.strip() for ln in out.splitlines() if ln.strip()), "")
        line = re.sub(r"^(中文问题|问题)\s*[:：]\s*", "", line).strip("\"'“”「」 ")
        return line if is_cjk(line) and len(line) <= 4 * len(question) else question

    def translate_answer(self, answer: str, calls: list) -> str | None:
        """English version of a checked Chinese answer, or None when the translation is unfaithful."""
        from .citations import MARK_RE, numbers

        out = self._complete(prompts.render("translate_answer", answer=answer), calls)
        out = re.sub(r"^(English translation|Translation)\s*[:：]\s*", "", out.strip(), flags=re.I).strip()
        marks = lambda t: {int(n) for m in MARK_RE.finditer(t) for n in re.split(r"[,，、]", m.group(1))}  # noqa: E731
        months = set(re.findall(r"(\d{1,2})月", answer))  # "3月" becomes "March"
        kept = numbers(answer) - months <= numbers(out) <= numbers(answer)
        if not out or not kept or marks(out) != marks(answer):
            return None
        return out

    def pinyin_names(self, question: str) -> list[tuple[str, str, float]]:
        """(English spelling, Chinese name, share of chunks naming it) for pinyin names in ``question``."""
        store = getattr(self.retriever, "store", None)
        if store is None:
            return []
        index = getattr(self.retriever, "lexical_index", None)
        key = tuple(index.ids) if index is not None else None  # the indexed chunks, known without I/O
        if self._names is None or key is None or self._names[0] != key:
            rows = store.all_chunks()
            texts = [r[1] for r in rows]
            self._names = (key, names.build_table(texts), texts)
        _, table, texts = self._names
        return [(en, zh, sum(zh in t for t in texts) / max(1, len(texts))) for en, zh in names.find_names(question, table)]

    # -- the chain ----------------------------------------------------------------------
    def stream(self, question: str, history: list[Turn] | None = None) -> Iterator[dict]:
        s = self.settings
        history = [h if isinstance(h, Turn) else Turn(*h) for h in (history or [])]
        t0 = time.perf_counter()
        timings: dict = {}
        calls: list = []
        lang = detect_language(question)
        rewritten = None
        if history:
            rewritten = self.rewrite(question, history, calls)
            timings["rewrite_s"] = round(time.perf_counter() - t0, 4)
            yield {"type": "rewrite", "text": rewritten}
        query = rewritten or question
        translated = None
        entities: list[str] = []  # names the question gives, which the cited chunks must mention
        if lang != "zh":
            found = self.pinyin_names(query)
            query = names.annotate(query, [(en, zh) for en, zh, _ in found])
            # a name in most chunks (the city the whole page is about) says nothing about one chunk
            entities = [zh for _, zh, share in found if share <= ENTITY_MAX_SHARE]
            translated = self.translate_question(query, calls)
            if translated == query:
                translated = None  # no usable translation: answer directly in the question's language
            else:
                yield {"type": "translation", "text": translated}
        asked = query  # the question as the model reads it
        if translated:
            query = f"{translated}\n{query}"

        t1 = time.perf_counter()
        docs = self.retriever.invoke(query)
        docs = docs[: len(within_budget([d.page_content for d in docs], s.context_chars))] if docs else []
        timings["retrieve_s"] = round(time.perf_counter() - t1, 4)
        contexts = [context_record(d) for d in docs]
        sources = [
            Source(i, c["chunk_id"], c["doc_id"], c["section"], c["text"], c["start"], c["end"])
            for i, c in enumerate(contexts, 1)
        ]
        yield {"type": "contexts", "contexts": contexts}

        def finish(text, refused, citations=(), raw="", dropped=(), reason=None) -> dict:
            timings["answer_s"] = round(time.perf_counter() - t0, 4)
            answer = Answer(
                question=question, text=text, refused=refused, citations=list(citations), contexts=contexts,
                rewritten_question=rewritten, translated_question=translated, language=lang, raw_answer=raw, dropped=list(dropped),
                refusal_reason=reason, timings=timings, model_calls=calls,
            )
            return {"type": "answer", "answer": answer}

        if not sources:
            yield finish(REFUSAL[lang], True, reason="no sources retrieved")
            return

        index = getattr(self.retriever, "lexical_index", None)
        checker = Checker(sources, self.embeddings, idf=index.idf if index else None, question=query)
        ask_lang = "zh" if translated else lang  # answer in the sources' language, translate after
        # The model reads the question as asked (a small model's translation can garble names);
        # the translation only helped retrieval above.
        question_for_model = f"{asked}(请用中文回答)" if translated else query
        passages = [
            {"n": src.n, "section": src.section.split(" / ")[-1], "text": checker.usable[src.n] or "…"}
            for src in sources
        ]

        def generate(passages: list[dict]) -> Iterator[dict]:
            messages = [
                SystemMessage(prompts.render(f"answer_system_{ask_lang}")),
                HumanMessage(prompts.render("answer_user", passages=passages, question=question_for_model, lang=ask_lang)),
            ]
            pieces: list[str] = []
            for piece in self._stream_model(messages):
                if piece:
                    if "ttft_s" not in timings:
                        timings["ttft_s"] = round(time.perf_counter() - t0, 4)
                    pieces.append(piece)
                    yield {"type": "token", "text": piece}
            calls.append((messages, "".join(pieces).strip()))

        yield from generate(passages)
        raw = calls[-1][1]
        if (not raw or REFUSAL_RE.search(raw)) and len(passages) > 1:
            # A small model loses an answer among several passages (often a paraphrased one);
            # asked again with the best-ranked passage alone it finds it. What it then says
            # is checked like any answer, so a near miss is still refused.
            yield {"type": "retry", "reason": "the model found no answer; asking again with the best source alone"}
            yield from generate(passages[:1])
            raw = calls[-1][1]

        t2 = time.perf_counter()
        if not raw or REFUSAL_RE.search(raw):
            timings["check_s"] = round(time.perf_counter() - t2, 4)
            yield finish(REFUSAL[lang], True, raw=raw, reason="the model found no answer in the sources")
            return
        result = checker.check(raw)
        timings["check_s"] = round(time.perf_counter() - t2, 4)
        dropped = [{"sentence": d.text, "reason": d.reason} for d in result.dropped]
        if not result.citations:
            yield finish(REFUSAL[lang], True, raw=raw, dropped=dropped, reason="no sentence is supported by the sources")
            return
        cited = [src for src in sources if src.n in {c.n for c in result.citations}]
        miss = self.off_focus(asked, translated, result.text, cited, entities)
        if miss:
            yield finish(REFUSAL[lang], True, raw=raw, dropped=dropped, reason=miss)
            return
        text = result.text
        if translated:
            english = self.translate_answer(text, calls)
            if english is None:
                dropped.append({"sentence": "(translation)", "reason": "translation changed a number or a marker"})
            # A small model's translation can drop or garble names: the checked answer in the
            # sources' language follows, so nothing the sources say is lost.
            text = f"{english}\n\n({text})" if english else text
        yield finish(text, False, result.citations, raw=raw, dropped=dropped)

    def off_focus(
        self, question: str, translated: str | None, answer: str, cited: list[Source], entities: list[str]
    ) -> str | None:
        """Why a checked ``answer`` citing ``cited`` does not answer ``question`` (``rag.focus``), or None."""
        mismatch = focus.quantity_mismatch(question, answer)
        if mismatch:
            return mismatch
        cited_text = "".join(f"{src.section}{src.text}" for src in cited)
        role = focus.asked_role(translated or question)
        index = getattr(self.retriever, "lexical_index", None)
        # a translated role may be a word the documents never use: judged only when they do
        known = not translated or (index is not None and role in index.df)
        if role and known and role not in cited_text:
            return f"the question asks about a {role}, which the cited sources do not mention"
        missing = focus.missing_entities(entities, cited_text)
        return f"the cited sources do not mention {', '.join(missing)}" if missing else None

    def invoke(self, question: str, history: list[Turn] | None = None) -> Answer:
        for event in self.stream(question, history):
            if event["type"] == "answer":
                return event["answer"]
        raise RuntimeError("the answer chain ended without an answer")  # pragma: no cover
