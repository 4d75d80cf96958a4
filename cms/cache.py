"""Whole-page cache for anonymous visitors.

The key carries a content generation number that every publish, unpublish or
snippet change bumps (see ``cms.publishing``), so a change purges every cached
page at once without tracking which page shows which office or regulation.
Per-user bits (login state, CSRF, chat) never enter the cached HTML: only
anonymous GET requests without a query string are cached.
"""

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation

GENERATION_KEY = "ayni:content-generation"


def content_generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, timeout=None)
        value = cache.get(GENERATION_KEY) or 1
    return int(value)


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
        and not request.GET
        and not getattr(request, "is_preview", False)
        and not request.user.is_authenticated
    )


def serve_cached(page, request: HttpRequest, render: Callable[[], HttpResponse]) -> HttpResponse:
    if not _cacheable(request):
        return render()
    key = f"ayni:page:{content_generation()}:{page.pk}:{translation.get_language()}:{request.get_host()}"
    hit = cache.get(key)
    if hit is not None:
        content, content_type = hit
        response = HttpResponse(content, content_type=content_type)
        response["X-Ayni-Cache"] = "hit"
        return response
    response = render()
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if response.status_code == 200 and not response.cookies:
        cache.set(key, (response.content, response["Content-Type"]), settings.AYNI_PAGE_CACHE_SECONDS)
    response["X-Ayni-Cache"] = "miss"
    return response
