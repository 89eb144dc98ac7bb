"""Who may call the API, how often, how big a request may be, and the access log.

* **Tokens.** ``RAG_API_TOKENS`` (comma-separated) and/or ``RAG_API_TOKENS_FILE`` (one per line,
  ``#`` comments) list bearer tokens. With none set the API is open, which ``rag serve``
  allows only on loopback. Tokens are compared in constant time and never logged: the log
  and the rate limiter know a token by the first 8 hex digits of its SHA-256.
* **Rate limit.** ``RAG_API_RATE_PER_MINUTE`` requests per token (per client address when the
  API is open) in any sliding minute; beyond it a 429 with ``Retry-After``. 0 turns it off.
* **Size.** A request body larger than ``RAG_MAX_FILE_MB`` is cut off with a 413, whether it
  announces its length or streams it.
* **Access log.** One JSON line per request on the ``rag.access`` logger: time, request id
  (the client's ``X-Request-ID`` or a new one, echoed back), method, path (no query string),
  status, milliseconds, client address and token id.

Shortcut: the limiter's windows live in this process; several workers each count their own.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import uuid
from collections import defaultdict, deque
from pathlib import Path

from rag.errors import ConfigError
from rag.settings import Settings

log = logging.getLogger("rag.access")


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:8]


def load_tokens(settings: Settings) -> list[str]:
    tokens = [t.strip() for t in (settings.api_tokens or "").split(",") if t.strip()]
    if settings.api_tokens_file:
        path = Path(settings.api_tokens_file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read RAG_API_TOKENS_FILE {path}: {exc.strerror}") from exc
        tokens += [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    short = [token_id(t) for t in tokens if len(t) < 16]
    if short:
        raise ConfigError(
            f"API tokens must be at least 16 characters ({len(short)} too short)",
            hint="make them with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return tokens


class RateLimiter:
    """At most ``per_minute`` hits per key in any sliding 60 seconds."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float:
        """0 when this hit is allowed (and counted), else seconds until it would be."""
        if self.per_minute <= 0:
            return 0.0
        now = time.monotonic()
        with self._lock:
            hits = self._hits[key]
            while hits and now - hits[0] >= 60:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return 60 - (now - hits[0])
            hits.append(now)
            return 0.0


def _error(status: int, kind: str, message: str, hint: str | None = None, headers: dict | None = None):
    body = json.dumps({"error": {"message": message, "hint": hint, "type": kind}}).encode()
    head = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    head += [(k.encode(), str(v).encode()) for k, v in (headers or {}).items()]
    return status, head, body


class Guard:
    """ASGI middleware: request id, size limit, bearer token, rate limit and the access log."""

    def __init__(self, app, settings: Settings, tokens: list[str]):
        self.app = app
        self.tokens = tokens
        self.max_bytes = int(settings.max_file_mb * 2**20)
        self.limiter = RateLimiter(settings.api_rate_per_minute)

    def _who(self, scope) -> tuple[str | None, str | None]:
        """(token id, error) for a request to a guarded path."""
        if not self.tokens:
            return None, None
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, given = auth.partition(" ")
        if scheme.lower() != "bearer" or not given:
            return None, "missing"
        for t in self.tokens:
            if hmac.compare_digest(given.strip().encode(), t.encode()):
                return token_id(t), None
        return None, "wrong"

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        t0 = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        path = scope.get("path", "")
        client = (scope.get("client") or ("-", 0))[0]
        state = {"status": 500, "token": None}

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
            await send(message)

        async def reply(status, head, body):
            await send_with_id({"type": "http.response.start", "status": status, "headers": head})
            await send_with_id({"type": "http.response.body", "body": body})

        try:
            guarded = path.startswith("/v1/")
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                return await reply(*_error(413, "too_large", f"the request is larger than {self.max_bytes // 2**20} MB",
                                           "raise RAG_MAX_FILE_MB, or send a smaller file"))
            if guarded:
                who, problem = self._who(scope)
                if problem:
                    return await reply(*_error(401, "auth", f"{problem} bearer token",
                                               "send Authorization: Bearer <token> (one of RAG_API_TOKENS)",
                                               {"www-authenticate": "Bearer"}))
                state["token"] = who
                wait = self.limiter.retry_after(who or client)
                if wait:
                    return await reply(*_error(429, "rate_limit", "too many requests",
                                               f"at most {self.limiter.per_minute} a minute (RAG_API_RATE_PER_MINUTE)",
                                               {"retry-after": max(1, round(wait))}))
            seen = 0

            async def counted_receive():
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_bytes:
                        raise BodyTooLarge
                return message

            try:
                await self.app(scope, counted_receive, send_with_id)
            except BodyTooLarge:
                await reply(*_error(413, "too_large", f"the request is larger than {self.max_bytes // 2**20} MB",
                                    "raise RAG_MAX_FILE_MB, or send a smaller file"))
        finally:
            log.info(json.dumps({
                "ts": round(time.time(), 3), "request_id": rid, "method": scope.get("method"), "path": path,
                "status": state["status"], "ms": round((time.perf_counter() - t0) * 1000, 1), "client": client,
                "token": state["token"],
            }))


class BodyTooLarge(Exception):
    pass
