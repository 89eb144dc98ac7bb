"""The API's own routes: documents, search, ask (JSON or server-sent events), summaries, health.

Every handler is a plain ``def`` (run in a worker thread), takes the ``Service`` from the app's
state and returns pydantic models or dicts in the CLI's ``--json`` shapes. Errors are raised as
``RagError``s and turned into JSON by ``api/app.py``.
"""

from __future__ import annotations

import itertools
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sse_starlette import EventSourceResponse

from rag.errors import InputError, RagError

from . import schemas

router = APIRouter()

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}
            },
            "application/json": {"schema": schemas.TextDocument.model_json_schema()},
        },
    }
}
ERRORS = {
    400: {"model": schemas.ErrorResponse, "description": "bad input"},
    401: {"model": schemas.ErrorResponse, "description": "missing or wrong token"},
    413: {"model": schemas.ErrorResponse, "description": "request too large"},
    422: {"model": schemas.ErrorResponse, "description": "invalid request body"},
    429: {"model": schemas.ErrorResponse, "description": "rate limit"},
    503: {"model": schemas.ErrorResponse, "description": "store unreachable or empty"},
}


def _service(request: Request):
    return request.app.state.service


def _info(row: dict) -> schemas.DocumentInfo:
    keep = ("doc_id", "source", "chars", "chunks", "state", "content_hash")
    return schemas.DocumentInfo(**{k: row[k] for k in keep if row.get(k) is not None})


@router.post(
    "/v1/documents", status_code=201, response_model=schemas.IngestResult, responses=ERRORS,
    openapi_extra=UPLOAD_BODY, tags=["documents"],
)
async def add_document(request: Request):
    """Add (or update) a document: upload a file (``.txt``, ``.md`` and the other supported types)
    as multipart ``file``, or send JSON text. Identical text already stored is not stored twice."""
    from starlette.concurrency import run_in_threadpool

    from rag.ingest.uploads import store_text, store_upload

    service = _service(request)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InputError("no file in the form", hint="send the document as multipart field 'file'")
        data = await upload.read()
        done = await run_in_threadpool(store_upload, upload.filename or "upload.txt", data, service.settings)
    elif kind == "application/json":
        try:
            body = schemas.TextDocument.model_validate(json.loads(await request.body()))
        except (ValueError, TypeError) as exc:
            raise InputError(f"invalid JSON document: {str(exc)[:300]}", hint='send {"text": ..., "title": ...}') from exc
        done = await run_in_threadpool(store_text, body.text, body.title, service.settings, body.doc_id)
    else:
        raise InputError(
            f"unsupported content type {kind or '(none)'}",
            hint="send multipart/form-data with a 'file', or application/json with 'text'",
        )
    row = await run_in_threadpool(service.store.document_row, done.doc_id)
    infos = [_info(row)] if row else []
    report = done.report
    return schemas.IngestResult(
        documents=infos, duplicate_of=done.duplicate_of,
        embedded=report.embedded if report else 0, unchanged=report.unchanged if report else 0,
        summary=report.summary() if report else f"the same text is already stored as {done.duplicate_of}",
    )


@router.get("/v1/documents", response_model=list[schemas.DocumentInfo], responses=ERRORS, tags=["documents"])
def list_documents(request: Request):
    return [_info(r) for r in _service(request).store.list_documents()]


@router.get("/v1/documents/{doc_id}", response_model=schemas.DocumentDetail, responses={**ERRORS, 404: ERRORS[400]}, tags=["documents"])
def get_document(doc_id: str, request: Request):
    service = _service(request)
    doc = service.document(doc_id)
    row = service.store.document_row(doc_id) or {}
    return schemas.DocumentDetail(
        doc_id=doc.doc_id, source=doc.source, chars=len(doc.text), chunks=row.get("chunks", 0),
        state=row.get("state", "complete"),
        content_hash=doc.content_hash, text=doc.text,
        sections=[schemas.SectionInfo(path=list(s.path), subtitle=s.subtitle, byline=s.byline) for s in doc.sections],
    )


@router.delete("/v1/documents/{doc_id}", response_model=schemas.Deleted, responses={**ERRORS, 404: ERRORS[400]}, tags=["documents"])
def delete_document(doc_id: str, request: Request):
    service = _service(request)
    service.document(doc_id)
    return schemas.Deleted(doc_id=doc_id, chunks=service.store.delete_document(doc_id))


@router.post("/v1/search", response_model=schemas.SearchResponse, responses=ERRORS, tags=["questions"])
def search(body: schemas.SearchRequest, request: Request):
    from rag.index.retriever import Context

    shared = _service(request).retriever()
    shared.sync()  # follow other writers once here; the copy below starts from the current index
    retriever = shared.model_copy(update={"k": body.k, "mode": body.mode}).scoped(body.doc_ids or ())
    results = [Context.from_document(d).to_dict() for d in retriever.invoke(body.query)]
    return schemas.SearchResponse(results=results, warning=retriever.warning)


def _history(turns: list[schemas.Turn]):
    from rag.answering import Turn

    return [Turn(t.question, t.answer) for t in turns]


@router.post(
    "/v1/ask", responses={**ERRORS, 200: {"description": "An Answer as JSON, or server-sent events with stream=true",
                                         "content": {"application/json": {}, "text/event-stream": {}}}},
    tags=["questions"],
)
def ask(body: schemas.AskRequest, request: Request):
    """Answer a question with checked citations, or refuse. With ``stream: true`` (or
    ``Accept: text/event-stream``) the answer arrives as events: one JSON object per event, its
    ``type`` the event name; the last one is ``done`` with the whole answer, or ``error``."""
    chain = _service(request).chain()
    history, docs = _history(body.history), tuple(body.doc_ids or ())
    if body.stream or "text/event-stream" in request.headers.get("accept", ""):
        events = chain.stream(body.question, history, docs)
        first = next(events)  # a bad question or store fails here, as a plain JSON error
        return EventSourceResponse(_sse(first, events), ping=15)
    return JSONResponse(chain.invoke(body.question, history, docs).to_dict())


def _sse(first, events):
    """The chain's events as server-sent events; a failure midway is a final ``error`` event."""
    try:
        for e in itertools.chain([first], events):
            yield {"event": e.type, "data": json.dumps(e.to_dict(), ensure_ascii=False)}
    except RagError as err:
        data = {"type": "error", "error": {"message": err.message, "hint": err.hint}}
        yield {"event": "error", "data": json.dumps(data, ensure_ascii=False)}
    finally:
        events.close()


@router.post("/v1/summaries", response_model=schemas.SummaryResponse, responses=ERRORS, tags=["summaries"])
def summaries(body: schemas.SummaryRequest, request: Request):
    """Cited summaries of one section, or of every section plus the whole document."""
    from rag.summaries import summarize

    service = _service(request)
    if body.doc_id is not None:
        service.document(body.doc_id)
    got = summarize(service.settings, doc_id=body.doc_id, section=body.section, length=body.length, lang=body.lang)
    return schemas.SummaryResponse(summaries=[s.to_dict() for s in got])


@router.get("/healthz", response_model=schemas.Health, tags=["health"])
def healthz():
    return schemas.Health(status="ok")


@router.get("/readyz", response_model=schemas.Health, responses={503: {"model": schemas.Health}}, tags=["health"])
def readyz(request: Request):
    """Ready when the store holds chunks, the BM25 index loads and the chat model is reachable."""
    service = _service(request)
    checks: dict[str, str] = {}
    try:
        store = service.store
        n = store.count()
        checks["store"] = f"ok ({n} chunks)" if n else "empty: ingest documents first"
        checks["index"] = f"ok ({len(store.lexical().ids)} chunks)"
    except RagError as err:
        checks.setdefault("store", f"unreachable: {err.message}")
        checks.setdefault("index", "not loaded")
    checks["model"] = _model_check(service.settings)
    ok = all(v.startswith("ok") for v in checks.values())
    return JSONResponse(schemas.Health(status="ok" if ok else "unavailable", checks=checks).model_dump(), status_code=200 if ok else 503)


def _model_check(settings) -> str:
    provider, _, name = settings.chat_model.partition(":")
    if provider == "local":
        from rag.models.files import local_model_ready

        return "ok (local model file present)" if local_model_ready(settings) else "missing: run `rag prepare`"
    if provider == "openai" and settings.openai_base_url:
        import httpx

        url = settings.openai_base_url.rstrip("/") + "/models"
        headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}
        try:
            status = httpx.get(url, headers=headers, timeout=3.0).status_code
        except httpx.HTTPError as exc:
            return f"unreachable: {type(exc).__name__} at {settings.openai_base_url}"
        return "ok (endpoint answers)" if status < 500 else f"failing: HTTP {status} from {settings.openai_base_url}"
    return f"ok ({provider} model, not probed)"
