"""Request and response bodies of the HTTP API, as pydantic models (they make the OpenAPI schema).

Each model carries an example, so ``/docs`` shows a request that works on the bundled article.
Answers, search results and citations reuse the dictionaries the CLI's ``--json`` prints
(``Answer.to_dict()``, ``Context.to_dict()``), typed loosely here (``dict``) so both stay one
format. Shortcut: the OpenAI-compatible bodies model only the fields this service reads or fills.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DocIds = Field(
    default=None, description="Only these documents (ids from GET /v1/documents); all when empty.",
    examples=[["000_d11b5f0043a94887"]],
)


class ErrorBody(BaseModel):
    message: str
    hint: str | None = None
    type: str = Field(description="input | config | store | model | auth | rate_limit | not_found | too_large")


class ErrorResponse(BaseModel):
    error: ErrorBody


class TextDocument(BaseModel):
    """A document given as text (``POST /v1/documents`` with a JSON body)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "通知", "text": "# 通知\n\n本周六全区开展核酸检测。"}]})

    text: str = Field(min_length=1, description="Plain text or Markdown; '# ' lines are section headings.")
    title: str = Field(default="document", min_length=1, max_length=200)
    doc_id: str | None = Field(default=None, max_length=200, description="Defaults to one made from the title.")


class DocumentInfo(BaseModel):
    doc_id: str
    source: str = ""
    chars: int | None = None
    chunks: int = 0
    state: str = "complete"
    content_hash: str | None = None


class IngestResult(BaseModel):
    documents: list[DocumentInfo]
    duplicate_of: str | None = Field(default=None, description="Set when the same text was already stored under this id.")
    embedded: int = 0
    unchanged: int = 0
    summary: str = ""


class SectionInfo(BaseModel):
    path: list[str]
    subtitle: str | None = None
    byline: str | None = None


class DocumentDetail(DocumentInfo):
    text: str
    sections: list[SectionInfo] = []


class Deleted(BaseModel):
    doc_id: str
    chunks: int


class SearchRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"query": "退役军人志愿先锋队", "k": 3}]})

    query: str = Field(min_length=1)
    k: int = Field(default=5, ge=1, le=50)
    mode: Literal["hybrid", "bm25", "dense"] = "hybrid"
    doc_ids: list[str] | None = DocIds


class SearchResponse(BaseModel):
    results: list[dict[str, Any]] = Field(description="Chunks: chunk_id, doc_id, section, text, start, end, score, ranks.")
    warning: str | None = None


class Turn(BaseModel):
    question: str
    answer: str


class AskRequest(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"question": "截至3月19日,全区有多少名退役军人加入志愿先锋队?"}]}
    )

    question: str = Field(min_length=1)
    history: list[Turn] = Field(default=[], max_length=50, description="Earlier turns, oldest first.")
    doc_ids: list[str] | None = DocIds
    stream: bool = Field(default=False, description="Server-sent events instead of one JSON answer.")


class SummaryRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"section": "廊坊开发区力保抗疫和生产两不误"}]})

    doc_id: str | None = Field(default=None, description="Default: the only document.")
    section: str | None = Field(default=None, description="A section title (or its path); all sections when empty.")
    length: Literal["short", "standard", "long"] = "standard"
    lang: Literal["zh", "en"] = "zh"


class SummaryResponse(BaseModel):
    summaries: list[dict[str, Any]]


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


# -- OpenAI-compatible ---------------------------------------------------------------------
class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={"examples": [{"model": "rag-news", "messages": [{"role": "user", "content": "化辛小区在哪个区?"}]}]},
    )

    model: str = "rag-news"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    doc_ids: list[str] | None = DocIds
