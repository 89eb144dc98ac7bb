"""Section and whole-document summaries that cite their sources.

The section tree comes from ingest (``Document.sections``). A section is
summarised from *all* of its body chunks, never a top-k retrieval:

* map: the paragraphs of the section's own chunks, numbered, are summarised in
  ``PER_CHUNK`` sentences each, as many paragraphs per model call as fit in
  ``MAP_BATCH_CHARS`` (one call per section for this page); a paragraph that no
  checked sentence cites is represented by its own key sentence, so every part of
  the section is seen and its key numbers and names survive;
* sub-sections contribute their own summaries (the main feature is built from
  its introduction's chunks and its three sub-sections);
* reduce: when the parts hold more sentences than the length allows
  (``LENGTHS``), one model call merges them; a merge that fails the check falls
  back to the checked parts;
* the whole document is reduced from the story summaries, keeping the page's
  structure (one entry per story, in page order).

Every sentence goes through ``citations.Checker`` like an answer: kept,
re-pointed or dropped. When a sentence is dropped for an unsupported number, or
too few survive, the call is regenerated once with a note on what went wrong;
the result records ``dropped`` sentences and ``regenerated``. A paragraph whose
generated sentences all fail is represented by its own most informative sentence,
quoted as is (so a summary never loses a part of the section to the check).

Summaries are cached as JSON under ``data_dir/summaries`` keyed by (document,
section content hash, model, prompt version, length, language), so re-runs are
instant and editing a document invalidates only the sections whose text changed
(and the sections above them). Shortcut: the document summary is extractive over
the story summaries (their first sentences), so it adds no model call.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser

import prompts
from rag.answering.citations import Checker, Citation, Source, clean_spans, looks_injected
from rag.documents import SECTION_SEP
from rag.errors import InputError
from rag.index.store import Store
from rag.models import model_errors
from rag.models.queue import shared_queue
from rag.settings import Settings, get_settings
from rag.text import MARK_RE, join_cited, mark_numbers, numbers, renumber_marks, split_cited

LENGTHS = {"short": 3, "standard": 8, "long": 14}  # sentences kept without a reduce (+1 per sub-section)
PER_CHUNK = {"short": 1, "standard": 2, "long": 3}  # sentences asked of each paragraph in the map step
MAP_BATCH_CHARS = 1800  # paragraphs summarised by one model call (~1,100 prompt tokens)


def _batches(pieces: list, limit: int) -> list[list]:
    """Consecutive pieces grouped so each group's text fits in ``limit`` characters (one at least)."""
    out: list[list] = []
    size = 0
    for p in pieces:
        if not out or size + len(p.text) > limit:
            out.append([])
            size = 0
        out[-1].append(p)
        size += len(p.text)
    return out


@dataclass
class SectionSummary:
    section: str  # heading path joined by " / "; "" for the whole document
    summary: str
    citations: list[Citation] = field(default_factory=list)
    doc_id: str = ""
    cached: bool = False
    regenerated: bool = False
    dropped: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "section": self.section,
            "summary": self.summary,
            "citations": [c.to_dict() for c in self.citations],
            "doc_id": self.doc_id,
            "cached": self.cached,
            "regenerated": self.regenerated,
            "dropped": self.dropped,
            "seconds": round(self.seconds, 3),
        }

    @classmethod
    def from_dict(cls, d: dict) -> SectionSummary:
        return cls(**{**d, "citations": [Citation(**c) for c in d["citations"]]})


def _renumber(text: str, citations: list[Citation], numbering: dict[str, int]) -> tuple[str, list[Citation]]:
    """Rewrite ``[n]`` markers into another numbering (chunk id -> n)."""
    by_n = {c.n: c for c in citations}

    def new_number(n: int) -> int | None:
        c = by_n.get(n)
        return numbering.get(c.chunk_id) if c else None

    new = [Citation(**{**c.to_dict(), "n": numbering[c.chunk_id]}) for c in citations if c.chunk_id in numbering]
    return renumber_marks(text, new_number), sorted(new, key=lambda c: c.n)


class Summarizer:
    def __init__(self, settings: Settings | None = None, llm=None, store: Store | None = None, embeddings=None):
        self.settings = settings or get_settings()
        self.store = store or Store(self.settings)
        if llm is None:
            from rag.models import get_chat_model

            llm = get_chat_model(settings=self.settings)
        self.llm = llm
        self.model_name = getattr(llm, "model_path", None) or getattr(llm, "model_name", None) or self.settings.chat_model
        self.embeddings = embeddings
        self._chunks: dict[str, list[Source]] = {}

    # -- structure --------------------------------------------------------------------------
    def resolve_doc(self, doc_id: str | None) -> str:
        docs = [d["doc_id"] for d in self.store.list_documents()]
        if doc_id:
            if doc_id not in docs:
                raise InputError(f"no document {doc_id!r} in the store", hint=f"documents: {', '.join(docs) or 'none'}")
            return doc_id
        if len(docs) == 1:
            return docs[0]
        if not docs:
            raise InputError("the store holds no documents", hint="run `rag ingest` first")
        raise InputError("several documents are ingested: say which with --doc", hint=", ".join(docs))

    def section_paths(self, doc_id: str) -> list[tuple[str, ...]]:
        doc = self.store.get_document(doc_id)
        return [s.path for s in doc.sections] if doc else []

    def resolve_section(self, doc_id: str, wanted: str) -> tuple[str, ...]:
        paths = self.section_paths(doc_id)
        exact = [p for p in paths if SECTION_SEP.join(p) == wanted]
        if exact:
            return exact[0]
        norm = re.sub(r"\s+", "", wanted)
        found = [p for p in paths if norm in re.sub(r"\s+", "", p[-1])]
        if len(found) == 1:
            return found[0]
        listing = "; ".join(SECTION_SEP.join(p) for p in (found or paths))
        raise InputError(
            f"section {wanted!r} {'is ambiguous' if found else 'not found'} in {doc_id}", hint=f"sections: {listing}"
        )

    def sources(self, doc_id: str, path: tuple[str, ...] = ()) -> list[Source]:
        """Body chunks of ``path`` and everything below it, in document order, numbered 1..N."""
        if doc_id not in self._chunks:
            rows = self.store.all_chunks(doc_id)
            self._chunks[doc_id] = [
                Source(0, cid, m["doc_id"], m["section"], text, m["start"], m["end"], m.get("page"))
                for cid, text, m in rows
                if m.get("kind", "body") == "body"
            ]
        picked = [s for s in self._chunks[doc_id] if tuple(s.section.split(SECTION_SEP))[: len(path)] == path]
        return [Source(i, s.chunk_id, s.doc_id, s.section, s.text, s.start, s.end, s.page) for i, s in enumerate(picked, 1)]

    # -- cache ------------------------------------------------------------------------------
    def _key(self, doc_id: str, path: tuple[str, ...], sources: list[Source], length: str, lang: str) -> str:
        content = hashlib.sha1("\x00".join(s.text for s in sources).encode()).hexdigest()
        raw = json.dumps([doc_id, list(path), content, self.model_name, prompts.prompt_version(), length, lang])
        return hashlib.sha1(raw.encode()).hexdigest()[:24]

    def _cache_path(self, key: str):
        return self.settings.data_dir / "summaries" / f"{key}.json"

    def _load(self, key: str) -> SectionSummary | None:
        path = self._cache_path(key)
        if path.exists():
            got = SectionSummary.from_dict(json.loads(path.read_text(encoding="utf-8")))
            got.cached = True
            return got
        return None

    def _save(self, key: str, summary: SectionSummary) -> None:
        path = self._cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(summary.to_dict(), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    # -- model calls ------------------------------------------------------------------------
    def _call(self, messages: list) -> str:
        # each call waits its turn in the process's model queue, beside the answers
        with shared_queue(self.settings.model_concurrency).turn(), model_errors():
            return (self.llm | StrOutputParser()).invoke(messages).strip()

    def _checked(self, build: Callable[[str], list], sources: list[Source], want: int):
        """Call the model, check the output, regenerate once if it invented or lost too much."""
        checker = Checker(sources, self.embeddings)
        result = checker.check(self._call(build("")))
        regenerated = False
        kept = len(result.sentences) - len(result.dropped)
        if result.dropped or kept < math.ceil(want / 2):
            notes = "; ".join(f"“{d.text}”: {d.reason}" for d in result.dropped) or "too few supported sentences"
            retry = checker.check(self._call(build(notes)))
            regenerated = True
            if len(retry.sentences) - len(retry.dropped) >= kept:
                result = retry
        dropped = [{"sentence": d.text, "reason": d.reason} for d in result.dropped]
        return result, regenerated, dropped

    def _summarise_chunks(self, title: str, sources: list[Source], sentences: int, lang: str, per_passage: int = 0):
        system = SystemMessage(prompts.render(f"summary_system_{lang}"))

        def build(notes: str) -> list:
            passages = [{"n": s.n, "text": Checker.usable_text(s) or "…"} for s in sources]
            user = prompts.render(
                "summary_user", section=title, passages=passages, notes=notes, sentences=sentences, lang=lang,
                per_passage=per_passage,
            )
            return [system, HumanMessage(user)]

        return self._checked(build, sources, sentences)

    def _reduce(self, title: str, points: list[str], sources: list[Source], sentences: int, lang: str):
        system = SystemMessage(prompts.render(f"summary_system_{lang}"))

        def build(notes: str) -> list:
            text = prompts.render("summary_reduce", section=title, points=points, sentences=sentences, lang=lang)
            return [system, HumanMessage(text + (f"\n({notes})" if notes else ""))]

        return self._checked(build, sources, sentences)

    # -- summaries --------------------------------------------------------------------------
    def section(self, doc_id: str, path: tuple[str, ...], length: str, lang: str, refresh: bool) -> SectionSummary:
        sources = self.sources(doc_id, path)
        if not sources:
            return SectionSummary(SECTION_SEP.join(path), "", [], doc_id)
        key = self._key(doc_id, path, sources, length, lang)
        if not refresh and (hit := self._load(key)):
            return hit
        t0 = time.perf_counter()
        want = LENGTHS[length]
        title = "…" if looks_injected(path[-1]) else path[-1]  # a heading is document text too
        numbering = {s.chunk_id: s.n for s in sources}
        children = [p for p in self.section_paths(doc_id) if len(p) == len(path) + 1 and p[: len(path)] == path]
        regenerated, dropped = False, []
        # map: the paragraphs of the section itself (a chunk may hold several), numbered, in as few
        # calls as MAP_BATCH_CHARS allows; a paragraph no checked sentence cites is represented by
        # its own key sentence, so no part is skipped; quotes keep exact offsets through the chunk's start
        parts: list[tuple[str, list[Citation]]] = []
        own = [s for s in sources if tuple(s.section.split(SECTION_SEP)) == path]
        pieces = [
            Source(1, s.chunk_id, s.doc_id, s.section, m.group(0), s.start + m.start(), s.start + m.end(), s.page)
            for s in own
            for m in re.finditer(r"[^\n]+", s.text)
        ]
        for batch in _batches(pieces, MAP_BATCH_CHARS):
            numbered = [dataclasses.replace(p, n=i) for i, p in enumerate(batch, 1)]
            result, regen, drop = self._summarise_chunks(
                title, numbered, PER_CHUNK[length] * len(batch), lang, per_passage=PER_CHUNK[length]
            )
            regenerated |= regen
            dropped += drop
            if result.citations:
                parts.append(_renumber(result.text, result.citations, numbering))
            covered = {c.n for c in result.citations}
            for piece in numbered:
                quoted = _key_sentence(piece) if piece.n not in covered and lang == "zh" else None
                if quoted:  # no checked sentence for it: quote the source
                    text, citation = quoted
                    dropped.append({"sentence": "(paragraph)", "reason": "no generated sentence passed; source sentence used"})
                    parts.append(_renumber(text, [citation], numbering))
        # sub-sections contribute their own (cached) summaries
        for child in children:
            sub = self.section(doc_id, child, length, lang, refresh)
            parts.append(_renumber(sub.summary, sub.citations, numbering))
        points = [p for text, _ in parts for p in _sentences_with_marks(text)]
        text = "".join(points)
        first: dict[int, Citation] = {}
        for _, cs in parts:
            for c in cs:
                first.setdefault(c.n, c)  # one entry per cited chunk: its first quote
        citations = sorted(first.values(), key=lambda c: c.n)
        target = want + len(children)
        if len(points) > target:  # reduce
            result, regen, drop = self._reduce(title, points, sources, target, lang)
            regenerated |= regen
            kept = len(result.sentences) - len(result.dropped)
            if kept >= math.ceil(target / 2) and result.citations:
                text, citations = result.text, result.citations
                dropped += drop
            else:  # the reduce lost too much: keep the checked parts themselves
                dropped.append({"sentence": "(reduce)", "reason": "merged summary failed the check; parts kept"})
        summary = SectionSummary(
            SECTION_SEP.join(path), text, citations, doc_id, False, regenerated, dropped, time.perf_counter() - t0
        )
        self._save(key, summary)
        return summary

    def document(self, doc_id: str, stories: list[SectionSummary], lang: str) -> SectionSummary:
        """The page summary: each story's first sentences, in page order, cited in document numbering."""
        numbering = {s.chunk_id: s.n for s in self.sources(doc_id)}
        lines, citations = [], {}
        for story in stories:
            if not story.summary:
                continue
            text, cits = _renumber(story.summary, story.citations, numbering)
            lead = "".join(_sentences_with_marks(text)[:2])
            used = set(mark_numbers(lead))
            citations.update({c.n: c for c in cits if c.n in used})
            lines.append(f"【{story.section}】{lead}" if lang == "zh" else f"[{story.section}] {lead}")
        cits = sorted(citations.values(), key=lambda c: c.n)
        return SectionSummary("", "\n".join(lines), cits, doc_id, all(s.cached for s in stories), False, [], 0.0)

    def run(
        self,
        doc_id: str | None = None,
        section: str | None = None,
        all_sections: bool = False,
        length: str = "standard",
        lang: str = "zh",
        refresh: bool = False,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> list[SectionSummary]:
        if length not in LENGTHS:
            raise InputError(f"unknown length {length!r}", hint=f"use one of {', '.join(LENGTHS)}")
        if lang not in ("zh", "en"):
            raise InputError(f"unknown language {lang!r}", hint="use zh or en")
        doc_id = self.resolve_doc(doc_id)
        if section and not all_sections:
            targets = [self.resolve_section(doc_id, section)]
        else:
            # children first, so parents reuse their (cached) summaries
            targets = sorted(self.section_paths(doc_id), key=len, reverse=True)
        out: dict[tuple, SectionSummary] = {}
        for i, path in enumerate(targets, 1):
            if progress:
                progress(i - 1, len(targets), path[-1])
            out[path] = self.section(doc_id, path, length, lang, refresh)
        if progress:
            progress(len(targets), len(targets), "done")
        ordered = [out[p] for p in self.section_paths(doc_id) if p in out]
        if section and not all_sections:
            return ordered
        stories = [out[p] for p in self.section_paths(doc_id) if len(p) == 1 and p in out]
        return ordered + [self.document(doc_id, stories, lang)]


def _key_sentence(piece: Source) -> tuple[str, Citation] | None:
    """The paragraph's most informative sentence (most numbers, then longest), cited as [1];
    None when the paragraph is all planted instructions."""
    spans = clean_spans(piece.text)
    if not spans:
        return None
    a, b = max(spans, key=lambda sp: (len(numbers(piece.text[sp[0] : sp[1]])), sp[1] - sp[0]))
    quote = piece.text[a:b]
    citation = Citation(1, piece.chunk_id, piece.doc_id, piece.section, piece.start + a, piece.start + b, quote, piece.page)
    return join_cited(quote, [1]), citation


def _sentences_with_marks(text: str) -> list[str]:
    """Split a checked summary into sentences, each keeping its [n] markers."""
    return [join_cited(sentence, ns) for sentence, ns in split_cited(text)]


def section_paths(settings: Settings | None = None, doc_id: str | None = None) -> list[tuple[str, ...]]:
    s = settings or get_settings()
    store = Store(s)
    docs = [d["doc_id"] for d in store.list_documents()]
    doc_id = doc_id or (docs[0] if len(docs) == 1 else None)
    doc = store.get_document(doc_id) if doc_id else None
    return [sec.path for sec in doc.sections] if doc else []


def summarize(
    settings: Settings | None = None,
    doc_id: str | None = None,
    section: str | None = None,
    all_sections: bool = False,
    length: str = "standard",
    lang: str = "zh",
    refresh: bool = False,
    llm=None,
    progress: Callable[[int, int, str], None] | None = None,
) -> list[SectionSummary]:
    """Summaries of one section, or of all sections plus the whole document (last, section "")."""
    s = settings or get_settings()
    from rag.index.embeddings import get_embeddings

    summarizer = Summarizer(s, llm=llm, embeddings=get_embeddings(settings=s) if lang == "en" else None)
    return summarizer.run(doc_id, section, all_sections, length, lang, refresh, progress)


def to_markdown(summaries: list[SectionSummary]) -> str:
    """Markdown with the citations as footnotes ([^k] per distinct quote)."""
    lines, notes, index = ["# Summaries", ""], [], {}
    for s in summaries:
        by_n = {c.n: c for c in s.citations}

        def foot(n: int, by_n=by_n) -> str:
            c = by_n.get(n)
            if c is None:
                return ""
            key = (c.doc_id, c.start, c.end)
            if key not in index:
                index[key] = len(index) + 1
                notes.append(f"[^{index[key]}]: {c.section} ({c.doc_id} {c.start}–{c.end}): “{c.quote}”")
            return f"[^{index[key]}]"

        body = MARK_RE.sub(lambda m: "".join(foot(n) for n in mark_numbers(m.group(0))), s.summary)
        lines += [f"## {s.section or 'Whole document'}", "", body, ""]
    return "\n".join(lines + notes) + "\n"
