"""HTML for what the server shows: answers, source cards, errors, documents, summaries.

Pure functions of plain data (``Answer.to_dict()``-style dicts, ``Citation``s,
``Document``s), so they are unit-tested without a browser. Conventions the page's
script and CSS (``ui/assets.py``) rely on:

* an answer's ``[n]`` marker becomes ``<a class="cite" href="#{prefix}{n}">[n]</a>``;
  the card it points to is ``<div class="card" id="{prefix}{n}">`` and holds the
  chunk text with each cited quote wrapped in ``<mark>``;
* the newest answer uses the prefix ``src-`` (so ``#src-1`` is its first source);
  earlier answers and summaries get their own prefixes, so links never cross over.

Everything from documents or the model is HTML-escaped before markup is added.
Shortcut: in the document view a line outside every paragraph is styled as a heading
when it equals a section's last heading, else as a byline/meta line.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from .i18n import msg

MARKER_RE = re.compile(r"\[(\d+(?:\s*[,，、]\s*\d+)*)\]")


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def section_label(section: str | None, doc_id: str | None = None) -> str:
    parts = [p for p in (section or "").split(" / ") if p]
    label = " › ".join(parts)
    return f"{doc_id} · {label}" if doc_id and label else (label or doc_id or "")


def link_markers(escaped: str, prefix: str = "src-", known: Iterable[int] | None = None) -> str:
    """Turn ``[n]`` / ``[1,2]`` markers in already-escaped text into links to cards."""
    known = set(known) if known is not None else None

    def one(m: re.Match) -> str:
        ns = [int(n) for n in re.split(r"\s*[,，、]\s*", m.group(1))]
        if known is not None and not all(n in known for n in ns):
            return m.group(0)
        return "".join(f'<a class="cite" href="#{prefix}{n}" data-n="{n}">[{n}]</a>' for n in ns)

    return MARKER_RE.sub(one, escaped)


# -- chat ----------------------------------------------------------------------------------
def notes_html(lang: str, rewritten: str | None = None, translated: str | None = None) -> str:
    """How the question was understood: the standalone rewrite, the Chinese search query."""
    out = ""
    for key, text in (("rewritten", rewritten), ("translated", translated)):
        if text:
            out += (
                f'<div class="rewrite {key}">↪ {esc(msg(key, lang))}: '
                f'<span class="rewrite-q">{esc(text)}</span></div>'
            )
    return out


def answer_html(answer: dict, lang: str, prefix: str = "src-") -> str:
    """The checked answer (or refusal) as chat-bubble HTML."""
    parts = [notes_html(lang, answer.get("rewritten_question"), answer.get("translated_question"))]
    if answer.get("refused"):
        parts.append(
            f'<div class="refusal"><span class="refusal-tag">⊘ {esc(msg("refusal_note", lang))}</span>'
            f'<div class="refusal-text">{esc(answer.get("answer", ""))}</div>'
            + (f'<div class="refusal-why">{esc(answer["refusal_reason"])}</div>' if answer.get("refusal_reason") else "")
            + "</div>"
        )
    else:
        cited = {c["n"] for c in answer.get("citations", [])}
        body = link_markers(esc(answer.get("answer", "")), prefix, cited)
        if answer.get("answer_source_language"):
            body += "<br><br>(" + link_markers(esc(answer["answer_source_language"]), prefix, cited) + ")"
        parts.append(f'<div class="answer">{body}</div>')
        if answer.get("dropped"):
            parts.append(f'<div class="dropped">{esc(msg("dropped_note", lang, n=len(answer["dropped"])))}</div>')
    return "".join(parts)


def streaming_html(
    text: str, lang: str, rewritten: str | None = None, searching: bool = False, translated: str | None = None,
    checked: str = "", queued: int | None = None,
) -> str:
    """The answer while it is written: only the sentences that already passed the check
    (``checked``); the model's unchecked text (``text``) is never shown, a caret says it is writing;
    ``queued``: the question's place in the model queue while it waits."""
    note = msg("queued", lang, n=queued) if queued else msg("searching" if searching else "checking", lang)
    done = f'<div class="answer">{esc(checked)}</div>' if checked else ""
    caret = '<span class="caret">▍</span>' if text or not checked else ""
    return f'{notes_html(lang, rewritten, translated)}{done}{caret}<div class="pending">{esc(note)}</div>'


def error_html(err: BaseException | str, lang: str, hint: str | None = None) -> str:
    message = getattr(err, "message", None) or str(err)
    hint = hint if hint is not None else getattr(err, "hint", None)
    out = f'<div class="error-box"><b>{esc(msg("error", lang))}:</b> {esc(message)}'
    if hint:
        out += f'<div class="error-hint">{esc(msg("hint", lang))}: {esc(hint)}</div>'
    return out + "</div>"


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    """Escape ``text`` and wrap the (chunk-relative) ``spans`` in ``<mark>``."""
    spans = sorted((max(0, s), min(len(text), e)) for s, e in spans if e > s)
    out, pos = [], 0
    for s, e in spans:
        if s < pos:  # overlapping quotes: extend the previous mark
            s = pos
        if s >= e:
            continue
        out.append(esc(text[pos:s]))
        out.append(f"<mark>{esc(text[s:e])}</mark>")
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def quote_span(context: dict, citation: dict) -> tuple[int, int] | None:
    """Where ``citation``'s quote lies inside the context chunk text."""
    text, quote = context.get("text") or "", citation.get("quote") or ""
    start = context.get("start")
    if start is not None and citation.get("start") is not None:
        s, e = citation["start"] - start, citation["end"] - start
        if 0 <= s < e <= len(text) and text[s:e] == quote:
            return s, e
    i = text.find(quote) if quote else -1
    return (i, i + len(quote)) if i >= 0 else None


def page_label(page: int | None, lang: str) -> str:
    """' · p. N' (' · 第 N 页') for a passage from a PDF page, else nothing."""
    return f" · {msg('page', lang, n=page)}" if page is not None else ""


def card_html(n: int, context: dict, citations: list[dict], prefix: str, cited: bool, best=None, lang: str = "en") -> str:
    spans = [sp for c in citations if (sp := quote_span(context, c))] or ([tuple(best)] if best else [])
    quote_block = ""
    if cited and not spans:  # the quote is not in the chunk text: show it on its own
        quote_block = "".join(f'<div class="card-quote"><mark>{esc(c["quote"])}</mark></div>' for c in citations)
    cls = "card cited" if cited else "card"
    return (
        f'<div class="{cls}" id="{prefix}{n}">'
        f'<div class="card-head"><span class="card-n">[{n}]</span> '
        f'<span class="card-path">{esc(section_label(context.get("section"), context.get("doc_id")))}</span>'
        f'{_page_html(context.get("page"), lang)}</div>'
        f'<div class="card-body">{highlight(context.get("text") or "", spans)}</div>{quote_block}</div>'
    )


def _page_html(page: int | None, lang: str) -> str:
    return f'<span class="card-page">{esc(page_label(page, lang))}</span>' if page is not None else ""


def cards_html(contexts: list[dict], citations: list[dict], lang: str, prefix: str = "src-", best=()) -> str:
    """Cards for the cited sources, then the other retrieved passages folded away; before any
    citation exists, ``best`` (per passage, the span of the sentence that bears most on the
    question) is highlighted."""
    by_n: dict[int, list[dict]] = {}
    for c in citations:
        by_n.setdefault(c["n"], []).append(c)
    cited = [n for n in range(1, len(contexts) + 1) if n in by_n]
    rest = [n for n in range(1, len(contexts) + 1) if n not in by_n]
    out = [card_html(n, contexts[n - 1], by_n[n], prefix, True, lang=lang) for n in cited]
    if rest:
        best = list(best) if not cited else []
        inner = "".join(
            card_html(n, contexts[n - 1], [], prefix, False, best[n - 1] if n <= len(best) else None, lang) for n in rest
        )
        label = esc(msg("other_passages" if cited else "searched_passages", lang, n=len(rest)))
        out.append(f'<details class="more"{" open" if not cited else ""}><summary>{label}</summary>{inner}</details>')
    return "".join(out)


def plain_answer(answer: dict) -> str:
    """The answer with its sources as footnotes, for the clipboard."""
    lines = [answer.get("answer", "")]
    if answer.get("answer_source_language"):
        lines += ["", f"({answer['answer_source_language']})"]
    if answer.get("citations"):
        lines.append("")
        for c in answer["citations"]:
            lines.append(f"[{c['n']}] {section_label(c.get('section'), c.get('doc_id'))}: {c.get('quote', '')}")
    return "\n".join(lines)


# -- tables ------------------------------------------------------------------------------------
DEBUG_COLUMNS = ("col_n", "col_bm25", "col_dense", "col_score", "col_cited", "col_section", "col_text")
DEBUG_WIDTHS = ["6%", "9%", "9%", "10%", "7%", "24%", "35%"]
DOC_COLUMNS = ("col_doc", "col_chunks", "col_chars", "col_source")


def table(rows: list[list], columns: tuple[str, ...], lang: str) -> dict:
    """A ``gr.Dataframe`` value with headers in the user's language."""
    return {"data": rows, "headers": [msg(c, lang) for c in columns]}


def debug_rows(contexts: list[dict], citations: list[dict] | None = None) -> list[list]:
    cited = {c["n"] for c in citations or []}
    rows = []
    for n, c in enumerate(contexts, 1):
        text = (c.get("text") or "").replace("\n", " ")
        leaf = (c.get("section") or "").split(" / ")[-1]
        rows.append([
            n,
            c.get("bm25_rank") if c.get("bm25_rank") is not None else "–",
            c.get("dense_rank") if c.get("dense_rank") is not None else "–",
            round(float(c.get("score") or 0.0), 5),
            "✓" if n in cited else "",
            f"{c.get('doc_id')} · {leaf}",
            text[:90] + ("…" if len(text) > 90 else ""),
        ])
    return rows


def debug_table(contexts: list[dict], citations: list[dict] | None, lang: str) -> dict:
    return table(debug_rows(contexts, citations), DEBUG_COLUMNS, lang)


# -- documents ---------------------------------------------------------------------------------
def document_html(doc, chunks: list[tuple[str, str, dict]], lang: str) -> str:
    """A document's cleaned text with chunk starts/ends and captions marked."""
    text = doc.text
    events: list[tuple[int, int, str]] = []  # (position, order, html); closers sort first
    for i, (_cid, _t, meta) in enumerate(sorted(chunks, key=lambda r: (r[2]["start"], r[2]["end"])), 1):
        events.append((meta["end"], 0, f'<span class="chunk-end" title="chunk {i} ends">{i}]</span>'))
        events.append((
            meta["start"], 2,
            f'<span class="chunk-start" title="chunk {i}: {meta["start"]}–{meta["end"]}">[{i}</span>',
        ))
    headings = {s.path[-1] for s in doc.sections if s.path}
    for p in doc.paragraphs:
        if p.kind == "caption":
            events.append((p.start, 1, f'<span class="caption" title="{esc(msg("caption", lang))}">'))
            events.append((p.end, 0, "</span>"))
    covered = sorted((p.start, p.end) for p in doc.paragraphs)
    # Lines outside every paragraph are headings or bylines.
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if line.strip() and not any(s <= start < e for s, e in covered):
            cls = "doc-heading" if line.strip() in headings else "doc-meta"
            events.append((start, 1, f'<span class="{cls}">'))
            events.append((end, 0, "</span>"))
    events.sort(key=lambda ev: (ev[0], ev[1]))
    out, pos = [], 0
    for at, _order, markup in events:
        out.append(esc(text[pos:at]))
        out.append(markup)
        pos = max(pos, at)
    out.append(esc(text[pos:]))
    body = "".join(out).replace("\n\n", '\n<span class="gap"></span>')
    legend = f'<div class="doc-legend">{esc(msg("doc_legend", lang))}</div>'
    return f'{legend}<div class="doc-view" data-doc="{esc(doc.doc_id)}">{body}</div>'


# -- summaries --------------------------------------------------------------------------------
def summaries_html(summaries: list, lang: str, chunks: dict[str, dict] | None = None) -> str:
    """Summaries with clickable [n] markers and their cards (prefix ``sum{i}-``).

    ``chunks`` maps chunk ids to context dicts (text, start, section, doc_id): a card then
    shows the whole chunk with the quote marked, as in the chat; else just the quote."""
    chunks = chunks or {}
    out = []
    for i, s in enumerate(summaries, 1):
        prefix = f"sum{i}-"
        cits = [c if isinstance(c, dict) else c.to_dict() for c in s.citations]
        by_n: dict[int, list[dict]] = {}
        for c in cits:
            by_n.setdefault(c["n"], []).append(c)
        cards = "".join(
            card_html(n, chunks.get(cs[0].get("chunk_id")) or {**cs[0], "text": ""}, cs, prefix, True, lang=lang)
            for n, cs in sorted(by_n.items())
        )
        title = section_label(s.section) or msg("whole_document", lang)
        badge = msg("cached", lang) if s.cached else msg("fresh", lang)
        secs = "" if s.cached else f' <span class="secs">{esc(msg("seconds", lang, s=float(s.seconds or 0.0)))}</span>'
        body = link_markers(esc(s.summary), prefix, set(by_n))
        out.append(
            f'<div class="summary" data-section="{esc(s.section)}"><div class="summary-head"><b>{esc(title)}</b> '
            f'<span class="badge {"cached" if s.cached else "fresh"}">{esc(badge)}</span>{secs}</div>'
            f'<div class="summary-text">{body}</div>'
            f'<details class="more summary-cards"><summary>{esc(msg("sources", lang))} ({len(by_n)})</summary>{cards}</details></div>'
        )
    return "".join(out)
