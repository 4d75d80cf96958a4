"""Helpers for the ASGI fast paths: answers given before Django's request handling (ayni/asgi.py).

Two kinds of request are hot enough that Django's own handling (a request
object, a thread for the synchronous middleware, the request signals, some
twenty middleware steps, URL resolution) is most of what they cost: a cached
anonymous page (``cms.cache.PageCacheApp``) and the WhatsApp webhook's
acknowledgement (``chatbot.webhook.WebhookApp``). Their ASGI applications
answer them directly and hand everything else, and anything unusual, to
Django unchanged.

The rule for a fast path: it never invents its own headers. Whatever it sends
was learned from Django's own answer to the same kind of request (the page
cache stores the whole response as it left Django's middleware; the webhook
repeats the headers of Django's answer to an earlier acknowledgement), so the
security headers, the CSP, ``Vary`` and ``Content-Language`` are Django's.
Each fast answer writes the portal's access log line (``ayni.access_log``:
method, path, status, duration; never a client address).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable

from django.conf import settings

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

access_logger = logging.getLogger("ayni.access")

# Added by the server itself on every answer (uvicorn): never stored, never repeated.
SERVER_HEADERS = frozenset({b"date", b"server"})


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of request header ``name`` (lower-case bytes), or None."""
    for key, value in scope.get("headers") or ():
        if key == name:
            return value
    return None


def request_scheme(scope: Scope) -> str:
    """``request.scheme`` as Django works it out (``SECURE_PROXY_SSL_HEADER``, else the connection's)."""
    proxy = settings.SECURE_PROXY_SSL_HEADER
    if proxy:
        meta_name, secure_value = proxy
        name = meta_name.removeprefix("HTTP_").replace("_", "-").lower().encode("latin-1")
        value = header(scope, name)
        if value is not None:
            first = value.decode("latin-1").split(",", 1)[0].strip()
            return "https" if first == secure_value else "http"
    return scope.get("scheme") or "http"


class BodyTooLarge(Exception):
    def __init__(self, body: bytes):
        super().__init__("request body too large")
        self.body = body


async def read_body(receive: Receive, limit: int | None) -> bytes | None:
    """The whole request body; None if the client went away; BodyTooLarge past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk:
            chunks.append(chunk)
            size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
        if limit is not None and size > limit:
            raise BodyTooLarge(b"".join(chunks))


def replay(body: bytes, receive: Receive, *, more_body: bool = False) -> Receive:
    """A ``receive`` that gives ``body`` (already read) first, then what the client sends next."""
    pending = True

    async def receive_again() -> dict:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": more_body}
        return await receive()

    return receive_again


async def respond(send: Send, status: int, headers: Iterable[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})


class Captured:
    """What a downstream application sent: the status, the headers and the body (if complete)."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: Headers = []
        self.chunks: list[bytes] = []
        self.complete = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def wrap(self, send: Send, *, before_last: Callable[[], Awaitable[None]] | None = None) -> Send:
        """``send`` that also records what passes through it; ``before_last()`` is awaited once the
        answer is complete, before its last message goes out (so that the client's next request
        finds what it did, e.g. the page stored)."""

        async def send_and_record(message: dict) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                self.status = message["status"]
                self.headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", ())]
            elif kind == "http.response.body":
                self.chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    self.complete = True
                    if before_last is not None:
                        await before_last()
            await send(message)

        return send_and_record


def log_access(method: str, path: str, status: int, started: float) -> None:
    """The access log line ``ayni.access_log.AccessLogMiddleware`` writes for the same request."""
    if access_logger.isEnabledFor(logging.INFO):
        access_logger.info('"%s %s" %s %.0fms', method, path, status, (time.monotonic() - started) * 1000)
