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
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from cms.signals import page_viewed

GENERATION_KEY = "ayni:content-generation"


def content_generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY) or 1
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
