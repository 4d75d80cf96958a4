"""Django's HTTP handling under the ASGI server (ayni.handler.PooledASGIHandler).

Synchronous views, middleware and the request signals run in one call on a bounded pool of
long-lived threads; an async view still runs on the server's event loop; streaming responses
and errors are answered as by Django's own handler.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path

from ayni.handler import PooledASGIHandler

pytestmark = pytest.mark.django_db

THREADS = 3
seen: dict[str, list[str]] = {"view": [], "finished": [], "async": []}


def sync_view(request):
    seen["view"].append(threading.current_thread().name)
    return HttpResponse("sync")


async def async_view(request):
    seen["async"].append(threading.current_thread().name)
    await asyncio.sleep(0)
    return JsonResponse({"ok": True})


def stream_view(request):
    return StreamingHttpResponse(iter([b"uno,", b"dos,", b"tres"]), content_type="text/plain")


def boom_view(request):
    raise RuntimeError("boom")


urlpatterns = [
    path("sync/", sync_view),
    path("async/", async_view),
    path("stream/", stream_view),
    path("boom/", boom_view),
]


@pytest.fixture
def handler(settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    for values in seen.values():
        values.clear()

    def finished(**kwargs):
        seen["finished"].append(threading.current_thread().name)

    request_finished.connect(finished, dispatch_uid="test-pooled-finished")
    app = PooledASGIHandler(threads=THREADS)
    yield app
    request_finished.disconnect(dispatch_uid="test-pooled-finished")
    app.executor.shutdown(wait=True)


async def _aget(app, url: str, loop_threads: list):
    loop_threads.append(threading.current_thread().name)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
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
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def get(app, url: str, loop_threads: list | None = None):
    return async_to_sync(_aget)(app, url, [] if loop_threads is None else loop_threads)


def test_sync_views_run_on_a_bounded_pool_and_finish_in_their_thread(handler):
    async def many():
        return await asyncio.gather(*(_aget(handler, "/sync/", []) for _ in range(12)))

    answers = async_to_sync(many)()
    assert answers == [(200, b"sync")] * 12
    assert all(name.startswith("ayni-http") for name in seen["view"])
    assert 1 <= len(set(seen["view"])) <= THREADS  # threads are reused, never more than the pool
    # request_finished (which closes the thread's database connections) ran where the view ran.
    assert sorted(seen["finished"]) == sorted(seen["view"])


def test_an_async_view_runs_on_the_servers_event_loop(handler):
    loop_threads: list[str] = []
    status, body = get(handler, "/async/", loop_threads)
    assert (status, body) == (200, b'{"ok": true}')
    assert seen["async"] == loop_threads  # the loop that called the application, not a loop of its own


def test_a_streaming_response_is_sent_whole_and_closed_once(handler):
    assert get(handler, "/stream/") == (200, b"uno,dos,tres")
    assert len(seen["finished"]) == 1


def test_an_error_is_djangos_500_and_the_request_still_finishes(handler):
    status, _body = get(handler, "/boom/")
    assert status == 500
    assert len(seen["finished"]) == 1
