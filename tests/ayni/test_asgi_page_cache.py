"""Anonymous page hits answered before Django (cms.cache.PageCacheApp, mounted by ayni.asgi).

Requests go through the ASGI application as the server sends them: a miss is Django's
answer (stored as it left Django's middleware), a hit must be the very same answer —
status, headers (CSP, security headers, Vary, Content-Language, Content-Length) and body —
with ``X-Ayni-Cache: hit``, and without Django running at all. Who must never get a
cached page: a signed-in resident (or any request with a session cookie), a request with
a query string, another scheme or language than the page was stored for.
"""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings
from django.core.handlers.asgi import ASGIHandler

from cms import cache as page_cache
from cms.signals import page_viewed

pytestmark = pytest.mark.django_db

GUIDE = "/tramites/licencia-de-funcionamiento/"
GUIDE_EN = "/en/tramites/operating-licence/"  # its English translation (cms/demo/en)


class CountingApp:
    """Django's ASGI handler, counting the requests that reached it."""

    def __init__(self):
        self.django = ASGIHandler()
        self.calls = 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await self.django(scope, receive, send)


@pytest.fixture(autouse=True)
def _keep_the_tests_connection():
    """Django's handler runs here on the test's thread, inside its transaction: like Django's test
    client, requests do not close that connection (on PostgreSQL it would end the transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def django_app():
    return CountingApp()


@pytest.fixture
def app(django_app):
    return page_cache.PageCacheApp(django_app)


def get(app, path: str, *, method: str = "GET", headers: dict | None = None, query: bytes = b"", scheme="http"):
    """(status, headers as a list of (name, value) without the server's date, body)."""
    return async_to_sync(_aget)(app, path, method, headers or {}, query, scheme)


async def _aget(app, path, method, headers, query, scheme):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    incoming = [{"type": "http.request", "body": b"", "more_body": False}]
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    response_headers = [(k.decode().lower(), v.decode()) for k, v in start["headers"] if k.lower() != b"date"]
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


def without_cache_mark(headers):
    return [(k, v) for k, v in headers if k != "x-ayni-cache"]


def mark(headers):
    return dict(headers).get("x-ayni-cache")


def test_a_hit_is_djangos_answer_byte_for_byte_without_django(app, django_app, django_assert_num_queries):
    miss = get(app, GUIDE)
    assert miss[0] == 200 and mark(miss[1]) == "miss"
    calls = django_app.calls
    with django_assert_num_queries(0):
        hit = get(app, GUIDE)
    assert django_app.calls == calls  # Django never saw it
    assert hit[0] == 200 and mark(hit[1]) == "hit"
    assert without_cache_mark(hit[1]) == without_cache_mark(miss[1])  # same headers, same order
    assert hit[2] == miss[2]
    names = {k for k, _v in hit[1]}
    assert {"content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"} <= names
    assert {"content-language", "vary", "content-length", "content-type"} <= names


def test_the_headers_of_a_hit_are_those_of_the_uncached_page(app, settings):
    get(app, GUIDE)
    hit = get(app, GUIDE)
    assert mark(hit[1]) == "hit"
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    uncached = get(app, GUIDE)
    assert mark(uncached[1]) is None
    assert without_cache_mark(hit[1]) == uncached[1]
    assert hit[2] == uncached[2]


def test_signed_in_residents_never_get_the_cached_page(app, django_app, client, citizen):
    get(app, GUIDE)
    assert mark(get(app, GUIDE)[1]) == "hit"
    client.force_login(citizen)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    calls = django_app.calls
    status, headers, body = get(app, GUIDE, headers={"Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}"})
    assert status == 200 and mark(headers) is None
    assert django_app.calls == calls + 1  # Django answered, with the resident's page
    assert b"csrfmiddlewaretoken" in body  # e.g. the sign-out form, which a cached page never has


def test_any_session_cookie_or_query_string_goes_to_django(app, django_app):
    get(app, GUIDE)
    calls = django_app.calls
    stale = f"other=1; {django_settings.SESSION_COOKIE_NAME}=expired-or-unknown"
    assert mark(get(app, GUIDE, headers={"Cookie": stale})[1]) is None
    assert mark(get(app, GUIDE, query=b"opinion=gracias")[1]) is None
    assert django_app.calls == calls + 2
    # Other cookies (a language choice, a CSRF cookie) do not make a page personal.
    assert mark(get(app, GUIDE, headers={"Cookie": "csrftoken=abc; django_language=en"})[1]) == "hit"


def test_each_language_prefix_is_its_own_page(app):
    spanish_miss = get(app, GUIDE)
    english_miss = get(app, GUIDE_EN)
    assert mark(english_miss[1]) == "miss"
    spanish_hit = get(app, GUIDE, headers={"Accept-Language": "en"})  # the path decides, as in Django
    english_hit = get(app, GUIDE_EN)
    assert mark(spanish_hit[1]) == mark(english_hit[1]) == "hit"
    assert dict(spanish_hit[1])["content-language"] == "es" and dict(english_hit[1])["content-language"] == "en"
    assert spanish_hit[2] == spanish_miss[2] and english_hit[2] == english_miss[2]
    assert spanish_hit[2] != english_hit[2]


def test_a_page_stored_over_http_is_not_served_over_https(settings):
    """The scheme as Django sees it (the proxy's header, else the connection's): HSTS only over https."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    app = page_cache.PageCacheApp(ASGIHandler())  # its SecurityMiddleware reads the settings above
    get(app, GUIDE)
    plain = get(app, GUIDE)
    assert mark(plain[1]) == "hit" and "strict-transport-security" not in dict(plain[1])
    assert mark(get(app, GUIDE, headers={"X-Forwarded-Proto": "https"})[1]) == "miss"
    secure = get(app, GUIDE, scheme="https")  # https for Django too: the page just stored
    assert mark(secure[1]) == "hit" and "strict-transport-security" in dict(secure[1])
    assert mark(get(app, GUIDE, headers={"X-Forwarded-Proto": "http"}, scheme="https")[1]) == "hit"
    assert "strict-transport-security" not in dict(get(app, GUIDE, headers={"X-Forwarded-Proto": "http"})[1])


def test_head_is_answered_from_the_cache_and_never_stores(app):
    assert mark(get(app, GUIDE, method="HEAD")[1]) == "miss"
    assert mark(get(app, GUIDE, method="HEAD")[1]) == "miss"  # a HEAD stores nothing
    get(app, GUIDE)
    assert mark(get(app, GUIDE, method="HEAD")[1]) == "hit"


def test_a_publish_purges_the_pages_of_the_fast_path(app):
    get(app, GUIDE)
    assert mark(get(app, GUIDE)[1]) == "hit"
    page_cache.purge_page_cache()
    assert mark(get(app, GUIDE)[1]) == "miss"


def test_hits_count_visits(app):
    seen = []

    def count(sender, page_id, **kwargs):
        seen.append(page_id)

    get(app, GUIDE)  # the render counts its own visit
    page_viewed.connect(count, dispatch_uid="test-asgi-visits")
    try:
        get(app, GUIDE)
        get(app, GUIDE, method="HEAD")  # a HEAD is not a visit
    finally:
        page_viewed.disconnect(dispatch_uid="test-asgi-visits")
    assert len(seen) == 1


def test_pages_that_do_not_opt_in_and_errors_are_never_stored(app, django_app):
    for path in ("/buscar/", "/no-existe/"):
        get(app, path)
        status, headers, _body = get(app, path)
        assert mark(headers) is None
    assert django_app.calls == 4


def test_a_cache_that_fails_leaves_the_page_to_django(app, monkeypatch):
    def down(identity):
        raise ConnectionError("cache down")

    monkeypatch.setattr(page_cache, "_asgi_lookup", down)
    status, _headers, body = get(app, GUIDE)
    assert status == 200 and b"<html" in body.lower()


@pytest.mark.parametrize(
    ("status", "headers", "complete", "stored"),
    [
        (200, [(b"content-type", b"text/html")], True, True),
        (200, [(b"set-cookie", b"csrftoken=abc; Path=/")], True, False),
        (200, [(b"cache-control", b"max-age=0, private")], True, False),
        (200, [(b"cache-control", b"no-store")], True, False),
        (200, [], False, False),  # the client went away mid-answer
        (301, [(b"location", b"/otra/")], True, False),
    ],
)
def test_only_complete_cookie_free_public_answers_are_stored(status, headers, complete, stored):
    from ayni.fastpath import Captured

    captured = Captured()
    captured.status, captured.headers, captured.complete = status, headers, complete
    assert page_cache._storable(captured) is stored
