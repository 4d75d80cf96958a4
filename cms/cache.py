"""Whole-page cache for anonymous visitors, answered before Wagtail routing.

Pages that opt in (``AyniBasePage.cache_rendered_html``) mark their response
in ``serve_cached``; ``AnonymousPageCacheMiddleware`` stores marked responses
and answers later requests for the same URL straight from the cache, before
sessions, authentication or Wagtail's page lookup run (a hit costs two cache
reads).

The key carries a content generation number that every publish, unpublish,
view-restriction or snippet change bumps (see ``cms.publishing``), so a change
purges every cached page at once without tracking which page shows which
office or regulation. The key is taken before the page renders, so a page
rendered while its restriction was being added is stored under a generation
that is already gone. Pages with a view restriction (on them or an ancestor)
are never stored.
Per-user bits (login state, CSRF, chat) never enter the cached HTML: only GET
requests without a query string from clients without a session cookie are
served from or stored in the cache.

The same generation keys the template fragments every page shares (header,
footer, head links: ``{% cache %}`` in ayni/templates/base.html), read once
per request (``request_content_generation``), so a publish purges them too,
and a fragment rendered while content changed is stored under a generation
that is already gone.

Under the ASGI server (``ayni.asgi``) the cache sits in front of Django
(``PageCacheApp``): a hit is answered before Django's request handling (no
request object, no middleware, no thread), with the status, headers and body
Django sent when the page was stored — the CSP and security headers, ``Vary``,
``Content-Language``, ``Content-Length`` are Django's own, byte for byte, with
``X-Ayni-Cache: hit``. The same rules decide what is served and stored (GET or
HEAD, no query string, no session cookie; stored only from a GET answered 200
without cookies by a page that opted in), and the key carries the scheme and
the host as Django sees them (``SECURE_PROXY_SSL_HEADER``; ``X-Forwarded-Host``
only with ``USE_X_FORWARDED_HOST``) and the path with its language prefix. The
middleware below then only marks the page for ``PageCacheApp`` (it stores after
the outer middleware have added their headers). Under WSGI and Django's test
client the middleware serves and stores hits itself, as before.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.cache import cache, caches
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie

from ayni import fastpath
from cms.signals import page_viewed

GENERATION_KEY = "ayni:content-generation"
ASGI_PREFIX = "ayni:asgi-page"
SCOPE_KEY = "ayni.page_cache"  # PageCacheApp's note in the ASGI scope, read by the middleware below

logger = logging.getLogger(__name__)


def content_generation(backend=None) -> int:
    backend = backend or cache
    value = backend.get(GENERATION_KEY)
    if value is None:
        backend.add(GENERATION_KEY, 1, timeout=None)
        value = backend.get(GENERATION_KEY) or 1
    return int(value)


def request_content_generation(request: HttpRequest | None) -> int:
    """The content generation of this request: read from the cache once, then kept on the request."""
    if request is None:
        return content_generation()
    value = getattr(request, "_ayni_content_generation", None)
    if value is None:
        value = request._ayni_content_generation = content_generation()
    return value


def purge_page_cache() -> None:
    """Invalidate every cached page (called when content changes)."""
    if cache.add(GENERATION_KEY, 2, timeout=None):
        return
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 2, timeout=None)


def _cacheable(request: HttpRequest) -> bool:
    return (
        settings.AYNI_PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _key(request: HttpRequest) -> str:
    return f"ayni:page:{request_content_generation(request)}:{request.get_host()}:{request.path}"


def _record_visit(page_id: int) -> None:
    # The search app counts it (one cache increment); nothing enters the HTML.
    page_viewed.send(sender=None, page_id=page_id)


def serve_cached(page, request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    """Render the page; mark the response for the middleware when it may be shared."""
    if request.method == "GET" and not getattr(request, "is_preview", False):
        _record_visit(page.pk)
    response = render()
    if (
        _cacheable(request)
        and not getattr(request, "is_preview", False)
        and not request.user.is_authenticated
        # A private page (or subtree) is never shared. Wagtail's check_view_restrictions hook
        # already read these restrictions for this request (``AyniBasePage.get_view_restrictions``).
        and not page.get_view_restrictions().exists()
    ):
        response.ayni_cache_page_id = page.pk
    return response


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable(request):
            return self.get_response(request)
        note = getattr(request, "scope", {}).get(SCOPE_KEY)
        if note is not None:
            return self._mark_for_asgi(request, note)
        try:
            key = _key(request)
            hit = cache.get(key)
        except Exception:  # noqa: BLE001 - the cache (Redis) is down: answer uncached (/health/ must answer)
            return self.get_response(request)
        if hit is not None:
            content, content_type, page_id = hit
            if request.method == "GET":
                _record_visit(page_id)
            response = HttpResponse(content, content_type=content_type)
            response["X-Ayni-Cache"] = "hit"
            response["X-Frame-Options"] = settings.X_FRAME_OPTIONS
            return response
        response = self.get_response(request)
        page_id = getattr(response, "ayni_cache_page_id", None)
        if page_id is not None and response.status_code == 200 and not response.streaming:
            if not response.cookies:
                cache.set(key, (response.content, response["Content-Type"], page_id), settings.AYNI_PAGE_CACHE_SECONDS)
            response["X-Ayni-Cache"] = "miss"
        return response

    def _mark_for_asgi(self, request: HttpRequest, note: dict) -> HttpResponse:
        """``PageCacheApp`` looked the page up (a miss) and stores it once Django's answer is complete."""
        request._ayni_content_generation = note["generation"]  # read once, before the page renders
        response = self.get_response(request)
        page_id = getattr(response, "ayni_cache_page_id", None)
        if page_id is not None and response.status_code == 200 and not response.streaming and not response.cookies:
            note["page_id"] = page_id
            response["X-Ayni-Cache"] = "miss"
        return response


# --- ASGI: hits answered before Django ------------------------------------------------

# The cache calls of the fast path: one backend object per process (not Django's per-thread
# and per-task ones), and a few threads for what may wait (Redis, a store, a visit count).
_backend = None
_backend_local = False
_executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="ayni-page-cache")
_NOT_CACHED = {b"private", b"no-store", b"no-cache"}


def _asgi_backend():
    global _backend, _backend_local
    if _backend is None:
        from ayni.cache import SharedDiskCache

        backend = caches.create_connection("default")
        # Looked up in the event loop itself when the cache is this machine's disk (reads never
        # wait there); over the network (Redis) on a thread, so that a slow answer stalls no one else.
        _backend_local = isinstance(backend, SharedDiskCache)
        _backend = backend
    return _backend


def _asgi_local() -> bool:
    _asgi_backend()
    return _backend_local


def _asgi_cacheable(scope) -> bool:
    if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") or scope.get("query_string"):
        return False
    if settings.AYNI_PAGE_CACHE_SECONDS <= 0:
        return False
    cookies = fastpath.header(scope, b"cookie")
    return not cookies or settings.SESSION_COOKIE_NAME not in parse_cookie(cookies.decode("latin-1"))


def _asgi_identity(scope) -> str:
    """What the page's HTML and headers may depend on besides the content: scheme, host and path."""
    host = fastpath.header(scope, b"host") or b""
    if settings.USE_X_FORWARDED_HOST:
        host = (fastpath.header(scope, b"x-forwarded-host") or b"") + b"|" + host
    path = scope.get("root_path", "") + scope["path"]
    raw = f"{fastpath.request_scheme(scope)}|{host.decode('latin-1').lower()}|{path}"
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _asgi_lookup(identity: str) -> tuple[int, str, object]:
    backend = _asgi_backend()
    generation = content_generation(backend)
    key = f"{ASGI_PREFIX}:{generation}:{identity}"
    return generation, key, backend.get(key)


def _asgi_store(key: str, entry: tuple) -> None:
    try:
        _asgi_backend().set(key, entry, settings.AYNI_PAGE_CACHE_SECONDS)
    except Exception:  # noqa: BLE001 - a page not stored is rendered again
        logger.warning("page cache: could not store a page", exc_info=True)


def _asgi_visit(page_id: int) -> None:
    try:
        _record_visit(page_id)
    except Exception:  # noqa: BLE001 - a visit not counted never costs the visitor the page
        logger.warning("page cache: could not count a visit", exc_info=True)
    finally:
        close_old_connections()  # a visit count that enqueued its flush used the database


def _storable(captured: fastpath.Captured) -> bool:
    """A complete 200 without cookies or a private cache-control (the page was not streamed: the
    middleware marks only ordinary responses; Django sends long ones in several body messages)."""
    if captured.status != 200 or not captured.complete:
        return False
    for name, value in captured.headers:
        if name == b"set-cookie":
            return False
        if name == b"cache-control" and any(part.strip() in _NOT_CACHED for part in value.lower().split(b",")):
            return False
    return True


class PageCacheApp:
    """ASGI: anonymous page hits answered from the page cache; everything else (and misses) to ``app``."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if not _asgi_cacheable(scope):
            return await self.app(scope, receive, send)
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        identity = _asgi_identity(scope)
        try:
            if _asgi_local():
                generation, key, hit = _asgi_lookup(identity)
            else:
                generation, key, hit = await loop.run_in_executor(_executor, _asgi_lookup, identity)
        except Exception:  # noqa: BLE001 - the cache is down: Django answers (uncached; /health/ says so)
            return await self.app(scope, receive, send)
        if hit is not None:
            status, headers, body, page_id = hit
            await fastpath.respond(send, status, headers, body)
            fastpath.log_access(scope["method"], scope.get("root_path", "") + scope["path"], status, started)
            if scope["method"] == "GET":  # counted after the answer went out
                await loop.run_in_executor(_executor, _asgi_visit, page_id)
            return None
        note = {"generation": generation}
        scope = {**scope, SCOPE_KEY: note}
        captured = fastpath.Captured()

        async def store() -> None:  # before the answer's last message: the next request finds the page
            if note.get("page_id") is not None and scope["method"] == "GET" and _storable(captured):
                headers = [
                    (name, b"hit" if name == b"x-ayni-cache" else value)
                    for name, value in captured.headers
                    if name not in fastpath.SERVER_HEADERS
                ]
                entry = (200, headers, captured.body, note["page_id"])
                await loop.run_in_executor(_executor, _asgi_store, key, entry)

        await self.app(scope, receive, captured.wrap(send, before_last=store))
        return None
