"""The ``rag`` command line (Typer). Every command has ``--help``.

User-facing errors (``RagError``) are printed as one readable message and exit
code 1; nothing else is caught, so bugs still show their traceback.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rag.errors import RagError

app = typer.Typer(
    help="Offline document Q&A and summaries over Chinese news text, with checked citations.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()
# C0/C1 control characters (terminal escape sequences) and bidirectional overrides
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def shown(text: str | None) -> str:
    """Text from documents or a model, safe for the terminal: control characters and bidi
    overrides removed, Rich markup escaped (so "[1]" and "[red]" print as written)."""
    return escape(_UNSAFE.sub("", text or ""))


def _settings():
    from rag.settings import get_settings

    return get_settings()


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


DocOption = Annotated[
    list[str] | None, typer.Option("--doc", help="Only this document id (repeat for several; `rag docs` lists them).")
]


@app.command()
def prepare():
    """Prepare the bundled local model (join and verify the GGUF once; instant afterwards)."""
    from rag.models.files import ensure_local_model

    s = _settings()
    if s.chat_model.startswith("local:"):
        path = ensure_local_model(s, progress=True)
        out.print(f"local model ready: {path}")
    else:
        out.print(f"chat model is {s.chat_model}: nothing to prepare")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (.txt, .md, .pdf, .docx, .html). Default: the bundled corpus.")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Build a new store from just these files, beside the live one; it replaces the live store only once complete.")] = False,
):
    """Clean, chunk and embed documents into Chroma and the BM25 index (incremental)."""
    from rag.ingest import ingest as run_ingest

    s = _settings()
    targets = list(paths) if paths else [s.corpus_dir]
    with _progress() as bar:
        task = bar.add_task("ingest", total=None, note="")

        def on_progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=max(total, 1), note=label)

        report = run_ingest(targets, s, rebuild=rebuild, progress=on_progress)
    out.print(report.summary())


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for (any language).")],
    k: Annotated[int, typer.Option("--k", "-k", help="How many results.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    mode: Annotated[str, typer.Option(help="hybrid, bm25 or dense.")] = "hybrid",
    doc: DocOption = None,
):
    """Hybrid (BM25 + dense) search over the ingested chunks."""
    from rag.index.retriever import Context, HybridRetriever

    retriever = HybridRetriever.from_settings(_settings(), k=k, mode=mode).scoped(doc or ())
    results = [Context.from_document(d).to_dict() for d in retriever.invoke(query)]
    if retriever.warning:
        console.print(f"[yellow]warning: {shown(retriever.warning)}[/yellow]", highlight=False)
    if as_json:
        out.print_json(json.dumps(results, ensure_ascii=False))
        return
    if not results:
        out.print("no results")
    for i, r in enumerate(results, 1):
        out.print(
            f"[bold][{i}][/bold] score {r['score']:.4f}  bm25 #{r['bm25_rank'] or '-'}  "
            f"dense #{r['dense_rank'] or '-'}  [cyan]{shown(r['doc_id'])}[/cyan] · {shown(r['section'])}{_page(r['page'])}  "
            f"[dim]{r['start']}–{r['end']}[/dim]"
        )
        out.print(f"    {shown(r['text'])}\n", highlight=False)


def _page(page: int | None) -> str:
    """' · p. N' for a chunk or citation from a PDF page, else nothing."""
    return f" · p. {page}" if page is not None else ""


def _print_answer(answer) -> None:
    style = "yellow" if answer.refused else "bold green"
    out.print(f"[{style}]{shown(answer.display_text)}[/{style}]", highlight=False)
    if answer.refused and answer.refusal_reason:
        out.print(f"  [dim]why: {shown(answer.refusal_reason)}[/dim]", highlight=False)
    for c in answer.citations:
        out.print(
            f"  \\[{c.n}] [cyan]{shown(c.doc_id)}[/cyan] · {shown(c.section)}{_page(c.page)} [dim]{c.start}–{c.end}[/dim]",
            highlight=False,
        )
        out.print(f"      “{shown(c.quote)}”", highlight=False)
    for d in answer.dropped:
        out.print(f"  [dim]dropped: {shown(d['sentence'])} ({shown(d['reason'])})[/dim]", highlight=False)


def _run_question(chain, question: str, history, stream: bool, doc_ids=()):
    """Ask; with ``stream``, show the sources found at once and each sentence once it passed the check."""
    from rag.answering.events import Done, Retry, Rewritten, Sentence, SourcesFound

    answer = None
    shown_any = False
    for event in chain.stream(question, history, doc_ids):
        if isinstance(event, Rewritten):
            out.print(f"[dim]standalone question: {shown(event.text)}[/dim]", highlight=False)
        elif isinstance(event, SourcesFound) and event.warning:
            console.print(f"[yellow]warning: {shown(event.warning)}[/yellow]", highlight=False)
        if isinstance(event, SourcesFound) and stream:
            for n, (c, best) in enumerate(zip(event.contexts, event.best), 1):
                line = c.text[best[0] : best[1]] if best else c.text[:60]
                out.print(f"[dim]\\[{n}] {shown(c.section.split(' / ')[-1])}: {shown(line)}[/dim]", highlight=False)
        elif isinstance(event, Retry) and stream:
            out.print(f"[dim]({event.reason})[/dim]", highlight=False)
        elif isinstance(event, Sentence) and stream:
            out.print(f"[dim]✓ {shown(event.text)}[/dim]", highlight=False)
            shown_any = True
        elif isinstance(event, Done):
            answer = event.answer
    if shown_any:
        out.print("[dim]— checked against the sources:[/dim]")
    return answer


def _chain(model: str | None):
    from rag.answering import AnswerChain
    from rag.models import get_chat_model

    s = _settings()
    return AnswerChain(s, llm=get_chat_model(model, settings=s))


@app.command()
def warm(
    model: Annotated[str | None, typer.Option(help="Chat model provider:model (default RAG_CHAT_MODEL).")] = None,
):
    """Save the local model's state after the answer prompt's start with each chunk as its first
    passage (RAG_PREFIX_CACHE_MB), so `rag ask` evaluates only the rest. `rag ui` and `rag serve`
    do this in the background at start; answers are the same, only faster."""
    from rag.answering import AnswerChain
    from rag.models import get_chat_model
    from rag.models.local import LocalLlamaChat

    s = _settings()
    llm = get_chat_model(model, settings=s)
    if not isinstance(llm, LocalLlamaChat) or s.prefix_cache_mb <= 0:
        out.print("nothing to save: the chat model is not a local one, or RAG_PREFIX_CACHE_MB is 0")
        return
    chain = AnswerChain(s, llm=llm)
    with _progress() as bar:
        task = bar.add_task("warm", total=None, note="")
        saved = chain.warm(passages=True, progress=lambda done, total: bar.update(task, completed=done, total=total))
    out.print(f"{saved} prompt starts saved under {s.data_dir / 'cache' / 'prefixes'}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question (any language).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the Answer as JSON.")] = False,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Do not show tokens as they arrive.")] = False,
    model: Annotated[str | None, typer.Option(help="Chat model provider:model (default RAG_CHAT_MODEL).")] = None,
    timings: Annotated[bool, typer.Option("--timings", help="Also print where the time went, stage by stage.")] = False,
    doc: DocOption = None,
):
    """Answer one question with citations checked against the sources (or refuse)."""
    chain = _chain(model)
    if as_json:
        out.print_json(json.dumps(chain.invoke(question, doc_ids=doc or ()).to_dict(), ensure_ascii=False))
        return
    answer = _run_question(chain, question, None, stream=not no_stream, doc_ids=doc or ())
    _print_answer(answer)
    if timings:
        _print_timings(answer)


def _print_timings(answer) -> None:
    """Stage timings (seconds since the question) and each model call's tokens and seconds."""
    table = Table("stage", "value", title="timings")
    for key, value in answer.timings.items():
        table.add_row(key, f"{value}")
    out.print(table)
    if answer.usage:
        calls = Table("model call", "prompt tokens", "reused", "evaluated", "prefill s", "generated", "generate s", "total s")
        for row in answer.usage:
            prompt, cached = row.get("prompt_tokens"), row.get("cached_tokens", 0)
            calls.add_row(
                row["call"], f"{prompt if prompt is not None else '-'}", f"{cached}",
                f"{prompt - cached if prompt is not None else '-'}", f"{row.get('prefill_s', '-')}",
                f"{row.get('generated_tokens', '-')}", f"{row.get('generate_s', '-')}", f"{row['seconds']}",
            )
        out.print(calls)


@app.command()
def chat(
    model: Annotated[str | None, typer.Option(help="Chat model provider:model (default RAG_CHAT_MODEL).")] = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Do not show tokens as they arrive.")] = False,
    doc: DocOption = None,
):
    """Interactive chat; follow-up questions are rewritten using the history. Ctrl-D quits."""
    from rag.answering import Turn

    chain = _chain(model)
    history: list = []
    out.print("[bold]Ask about the documents[/bold] (empty line or Ctrl-D to quit, /new for a new chat)")
    while True:
        try:
            question = console.input("[bold cyan]> [/bold cyan]").strip()
        except EOFError:
            break
        if not question:
            break
        if question == "/new":
            history = []
            continue
        try:
            answer = _run_question(chain, question, history, stream=not no_stream, doc_ids=doc or ())
        except RagError as err:
            console.print(f"[bold red]error:[/bold red] {err}", highlight=False)
            continue
        _print_answer(answer)
        history.append(Turn(question, answer.text))


@app.command()
def docs():
    """List ingested documents with their chunk counts."""
    from rag.index.store import Store

    rows = Store(_settings()).list_documents()
    if not rows:
        out.print("no documents yet: run `rag ingest`")
        return
    table = Table("doc id", "chunks", "chars", "source")
    for r in rows:
        table.add_row(shown(r["doc_id"]), str(r["chunks"]), str(r.get("chars", "")), shown(r.get("source", "")))
    out.print(table)


@app.command()
def summarize(
    doc: Annotated[str | None, typer.Option(help="Document id (default: the only one).")] = None,
    section: Annotated[str | None, typer.Option(help="Heading path (' / ' joined) or a unique part of a heading.")] = None,
    all_sections: Annotated[bool, typer.Option("--all", help="Every section, then the whole document.")] = False,
    length: Annotated[str, typer.Option(help="short, standard or long.")] = "standard",
    lang: Annotated[str, typer.Option(help="zh or en.")] = "zh",
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list (document summary last).")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write Markdown with footnotes here.")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ignore the cache and regenerate.")] = False,
    model: Annotated[str | None, typer.Option(help="Chat model provider:model (default RAG_CHAT_MODEL).")] = None,
):
    """Cited summaries of sections (all of each section's chunks) and of the whole document."""
    from rag.models import get_chat_model
    from rag.summaries import summarize as run
    from rag.summaries import to_markdown

    s = _settings()
    llm = get_chat_model(model, settings=s)
    everything = all_sections or not section
    with _progress() as bar:
        task = bar.add_task("summarize", total=None, note="")
        results = run(
            s, doc, section, everything, length, lang, refresh, llm=llm,
            progress=lambda i, n, label: bar.update(task, completed=i, total=n, note=label),
        )
    if out_file:
        out_file.write_text(to_markdown(results), encoding="utf-8")
        console.print(f"wrote {out_file}")
    if as_json:
        rows = [{"section": r.section, "summary": r.summary, "citations": [c.to_dict() for c in r.citations],
                 "cached": r.cached, "regenerated": r.regenerated, "dropped": r.dropped} for r in results]
        out.print_json(json.dumps(rows, ensure_ascii=False))
        return
    for r in results:
        flag = " [dim](cached)[/dim]" if r.cached else f" [dim]({r.seconds:.1f} s)[/dim]"
        out.print(f"\n[bold]{shown(r.section or 'Whole document')}[/bold]{flag}", highlight=False)
        out.print(shown(r.summary), highlight=False)
        for d in r.dropped:
            out.print(f"  [dim]dropped: {shown(d['sentence'])} ({shown(d['reason'])})[/dim]", highlight=False)


@app.command("eval")
def eval_cmd(
    questions: Annotated[
        list[Path] | None,
        typer.Argument(help="Question sets (.jsonl or .yaml, docs/eval-format.md); each file is a split."),
    ] = None,
    summaries: Annotated[Path | None, typer.Option("--summaries", help="Summary key points (.jsonl) to score instead.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for results.jsonl, summary.json, report.md.")] = Path("eval-out"),
    retrieval_only: Annotated[bool, typer.Option("--retrieval-only", help="Score retrieval only; no model.")] = False,
    corpus: Annotated[
        list[Path] | None, typer.Option("--corpus", help="Ingest these files or folders first (incremental; repeatable).")
    ] = None,
    rescore: Annotated[
        Path | None, typer.Option("--rescore", help="Score this earlier results.jsonl again instead of asking anything.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Chat model provider:model (default RAG_CHAT_MODEL).")] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option("--fail-under", help="METRIC=VALUE from summary.json; exit 2 when missed (repeatable)."),
    ] = None,
):
    """Run question sets and score them (results.jsonl, summary.json, report.md), per split and type."""
    from rag.eval import metrics, report, runner
    from rag.eval.questions import load_question_sets

    s = _settings()
    if summaries:
        return _eval_summaries(summaries, out_dir, model, fail_under or [])
    if not questions:
        raise typer.BadParameter("give a QUESTIONS file or --summaries KEYPOINTS")
    qs = load_question_sets(questions)
    if corpus:
        ingest(corpus, rebuild=False)
    title = f"{'Retrieval' if retrieval_only else 'Answer'} eval: {', '.join(p.name for p in questions)}"
    if rescore:
        rows = [json.loads(line) for line in rescore.read_text(encoding="utf-8").splitlines() if line.strip()]
        results = runner.rescore(qs, rows, s.context_chars)
        summary = metrics.summarize_answers(results, s.context_chars)
    else:
        results = _run_eval(qs, s, retrieval_only, model)
        summary = (metrics.summarize_retrieval if retrieval_only else metrics.summarize_answers)(results, s.context_chars)
    report.write_outputs(out_dir, results, summary, report.render_report(results, summary, title))
    out.print_json(json.dumps({k: v for k, v in summary.items() if not isinstance(v, dict)}))
    for group in ("by_split", "by_language"):
        for name, figures in summary.get(group, {}).items():
            out.print(f"{group[3:]} {name}: " + json.dumps(figures, ensure_ascii=False), highlight=False)
    out.print(f"wrote {out_dir}/results.jsonl, summary.json, report.md")
    failures = metrics.check_thresholds(summary, fail_under or [])
    if failures:
        console.print("[bold red]below threshold:[/bold red] " + "; ".join(failures))
        raise typer.Exit(2)


def _run_eval(qs, s, retrieval_only: bool, model: str | None) -> list[dict]:
    from rag.eval import runner
    from rag.index.retriever import HybridRetriever

    retriever = HybridRetriever.from_settings(s)
    with _progress() as bar:
        task = bar.add_task("eval", total=len(qs), note="")

        def tick(i: int, n: int, note: str) -> None:
            bar.update(task, completed=i, note=note)

        if retrieval_only:
            return runner.run_retrieval(qs, retriever, s.context_chars, tick)
        from rag.answering import AnswerChain
        from rag.models import get_chat_model

        chain = AnswerChain(s, retriever=retriever, llm=get_chat_model(model, settings=s))
        return runner.run_answers(qs, chain, s.context_chars, tick)


def _eval_summaries(path: Path, out_dir: Path, model: str | None, fail_under: list[str]) -> None:
    from rag.eval import metrics, report, runner
    from rag.eval.questions import load_keypoints
    from rag.models import get_chat_model

    s = _settings()
    keypoints = load_keypoints(path)
    with _progress() as bar:
        task = bar.add_task("summaries", total=None, note="")
        results, summary = runner.run_summaries(
            keypoints, s, llm=get_chat_model(model, settings=s),
            progress=lambda i, n, label: bar.update(task, completed=i, total=n, note=label),
        )
    report.write_outputs(out_dir, results, summary, report.render_summary_report(results, summary, f"Summary eval: {path.name}"))
    out.print_json(json.dumps(summary))
    failures = metrics.check_thresholds(summary, fail_under)
    if failures:
        console.print("[bold red]below threshold:[/bold red] " + "; ".join(failures))
        raise typer.Exit(2)


AuthOption = Annotated[
    str | None,
    typer.Option(help="Require a login for the web UI, USER:PASS (better: the RAG_UI_AUTH variable or --auth-file, "
                 "which ps does not show).", envvar="RAG_UI_AUTH", show_envvar=True),
]
AuthFileOption = Annotated[Path | None, typer.Option("--auth-file", help="A file whose first line is USER:PASS.")]
InsecureOption = Annotated[
    bool, typer.Option("--insecure", help="Serve beyond this machine without a login or tokens (not recommended).")
]


def _ui_login(auth: str | None, auth_file: Path | None) -> tuple[str, str] | None:
    if auth_file is not None:
        try:
            auth = auth_file.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError) as exc:
            raise typer.BadParameter(f"cannot read a USER:PASS line from {auth_file}", param_hint="--auth-file") from exc
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise typer.BadParameter("give it as USER:PASS", param_hint="--auth")
    return user, password


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 exposes it to the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    auth: AuthOption = None,
    auth_file: AuthFileOption = None,
    insecure: InsecureOption = False,
):
    """Serve the web interface: chat with sources, section summaries, documents, settings."""
    credentials = _ui_login(auth, auth_file)
    from rag.models.remote import is_loopback_host

    if credentials is None and not is_loopback_host(host):
        if not insecure:
            raise typer.BadParameter(
                f"{host} exposes the UI to the network: set a login (RAG_UI_AUTH, --auth-file) or pass --insecure",
                param_hint="--host",
            )
        console.print(f"[bold yellow]warning:[/bold yellow] serving on {host} without a login: anyone who can reach it can use it")
    from ui import create_app, launch
    from ui.app import warm_up

    app = create_app(_settings())
    warm_up(app)  # the model loads while the page is served
    out.print(f"serving on http://{host}:{port}/  (Ctrl-C stops)")
    launch(app, host=host, port=port, auth=credentials, quiet=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (0.0.0.0 exposes it to the network).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    with_ui: Annotated[bool, typer.Option("--ui/--no-ui", help="Also serve the web UI at /ui.")] = True,
    auth: AuthOption = None,
    auth_file: AuthFileOption = None,
    insecure: InsecureOption = False,
):
    """Serve the HTTP API (REST, server-sent events, OpenAI-compatible /v1/chat/completions) and the web UI at /ui.

    Beyond loopback the API needs bearer tokens (RAG_API_TOKENS or RAG_API_TOKENS_FILE) and the UI a login."""
    import logging

    from api.security import load_tokens
    from rag.models.remote import is_loopback_host

    s = _settings()
    credentials = _ui_login(auth, auth_file) if with_ui else None
    exposed = not is_loopback_host(host)
    if exposed and not insecure:
        if not load_tokens(s):
            raise typer.BadParameter(
                f"{host} exposes the API to the network: set RAG_API_TOKENS (or RAG_API_TOKENS_FILE), or pass --insecure",
                param_hint="--host",
            )
        if with_ui and credentials is None:
            raise typer.BadParameter(
                f"{host} exposes the UI to the network: set a login (RAG_UI_AUTH, --auth-file), or pass --no-ui",
                param_hint="--host",
            )
    elif exposed:
        console.print(f"[bold yellow]warning:[/bold yellow] serving on {host} without tokens or a login")
    import uvicorn

    from api import create_api
    from api.app import warm_up

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    api = create_api(s, ui=with_ui, ui_auth=credentials)
    warm_up(api)
    out.print(f"API on http://{host}:{port}/v1 (schema: /docs){'; UI on /ui' if with_ui else ''}  (Ctrl-C stops)")
    uvicorn.run(api, host=host, port=port, access_log=False, log_level="warning")


def main() -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    try:
        app()
    except RagError as err:
        console.print(f"[bold red]error:[/bold red] {err.message}", highlight=False)
        if err.hint:
            console.print(f"[yellow]hint:[/yellow] {err.hint}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
