"""The webhook's acknowledgement answered before Django (chatbot.webhook), through the ASGI application.

The first acknowledgement of a process is Django's (its headers are learned); later ones are
recorded by the writer thread and answered by the fast path with the same headers. Anything
unusual (a bad or missing signature, a body that is not a JSON object, WhatsApp off, the GET
challenge, a failing database) is Django's view's, unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from chatbot import services, webhook
from chatbot.models import WhatsAppDelivery

from .conftest import meta_message, sign

pytestmark = pytest.mark.django_db(transaction=True)

PATH = "/webhooks/whatsapp/"


@pytest.fixture(autouse=True)
def db_queue(settings):
    """The embedded default's queue: recording wakes nothing (the worker's poll would split the deliveries)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def app(wa_settings):
    yield webhook.WebhookApp(ASGIHandler())
    webhook.writer.stop()  # its thread and database connection end with the test


@pytest.fixture
def django_view_calls(monkeypatch):
    """How many deliveries Django's view recorded (the fast path never calls it)."""
    calls = []
    original = services.whatsapp_delivery_record

    def spy(*, body):
        calls.append(body)
        return original(body=body)

    monkeypatch.setattr(services, "whatsapp_delivery_record", spy)
    return calls


def request(app, method: str, body: bytes = b"", headers: dict | None = None, query: bytes = b""):
    """One request through the ASGI application; (status, headers without date, body)."""
    return async_to_sync(arequest)(app, method, body, headers, query)


async def arequest(app, method: str, body: bytes = b"", headers: dict | None = None, query: bytes = b""):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"testserver")] + [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        if incoming:
            return incoming.pop(0)
        await asyncio.Event().wait()  # no disconnect until the test ends (Django cancels its listener)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    start = sent[0]
    assert start["type"] == "http.response.start"
    response_headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    response_headers.pop("date", None)
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:])


def signed(body: bytes) -> dict:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign(body)}


def signed_post(app, payload: dict | bytes):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return request(app, "POST", body, signed(body))


def test_acknowledgements_after_the_first_skip_django_and_send_its_headers(app, django_view_calls):
    first = signed_post(app, meta_message(message_id="wamid.F1"))
    second = signed_post(app, meta_message(message_id="wamid.F2"))
    third = signed_post(app, meta_message(message_id="wamid.F3"))
    assert first[0] == second[0] == third[0] == 200
    assert first[2] == second[2] == b"ok"
    assert len(django_view_calls) == 1  # only the first went through Django's view
    assert second[1] == first[1]  # the same headers: Content-Type, CSP, nosniff, Vary, Content-Language…
    assert first[1]["content-type"].startswith("text/plain")
    assert "x-content-type-options" in first[1]
    bodies = set(WhatsAppDelivery.objects.values_list("body", flat=True))
    assert {json.loads(b)["entry"][0]["changes"][0]["value"]["messages"][0]["id"] for b in bodies} == {
        "wamid.F1",
        "wamid.F2",
        "wamid.F3",
    }


def test_an_identical_redelivery_on_the_fast_path_is_recorded_once(app, django_view_calls):
    signed_post(app, meta_message(message_id="wamid.LEARN"))
    body = json.dumps(meta_message(message_id="wamid.AGAIN")).encode()
    assert signed_post(app, body)[0] == 200
    assert signed_post(app, body)[0] == 200
    assert len(django_view_calls) == 1
    assert WhatsAppDelivery.objects.count() == 2


def test_deliveries_arriving_together_are_all_recorded_and_answered(app):
    signed_post(app, meta_message(message_id="wamid.LEARN"))
    bodies = [json.dumps(meta_message(message_id=f"wamid.C{i}", wa_id=f"5917000{i:04d}")).encode() for i in range(30)]

    async def burst():  # one event loop, all at once (five delivered twice)
        return await asyncio.gather(*(arequest(app, "POST", body, signed(body)) for body in bodies + bodies[:5]))

    results = async_to_sync(burst)()
    assert [status for status, _headers, _body in results] == [200] * 35
    assert WhatsAppDelivery.objects.count() == 31


def test_a_batch_is_one_insert_and_a_repeated_body_is_kept_once():
    """The writer records what waited together in one statement (here called directly, on this thread)."""
    from concurrent.futures import Future

    bodies = [json.dumps(meta_message(message_id=f"wamid.B{i}")).encode() for i in range(3)]
    batch = [(body, Future()) for body in [*bodies, bodies[0]]]
    with CaptureQueriesContext(connection) as queries:
        webhook.DeliveryWriter()._record(batch)
    connection.close()  # on SQLite the writer told this connection not to wait for locks by itself
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].upper().startswith("INSERT")]
    assert len(inserts) == 1, inserts
    assert all(future.result(timeout=0) is None for _body, future in batch)
    assert WhatsAppDelivery.objects.count() == 3


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"X-Hub-Signature-256": "sha256=" + "0" * 64}, 403),  # signed with another secret
        ({}, 401),  # no signature
        ({"X-Hub-Signature-256": "not-a-signature"}, 403),
    ],
)
def test_bad_signatures_are_answered_by_django_and_record_nothing(app, headers, status):
    signed_post(app, meta_message(message_id="wamid.LEARN"))  # the fast path is on
    body = json.dumps(meta_message(message_id="wamid.BAD")).encode()
    answer = request(app, "POST", body, {"Content-Type": "application/json", **headers})
    assert answer[0] == status
    assert "detail" in json.loads(answer[2])
    assert WhatsAppDelivery.objects.count() == 1


def test_a_signed_body_that_is_not_a_json_object_is_a_400_from_django(app):
    signed_post(app, meta_message(message_id="wamid.LEARN"))
    for body in (b"[1, 2]", b"{not json", b"[" * 100 + b"]" * 100):
        status, _headers, answer = signed_post(app, body)
        assert status == 400 and "detail" in json.loads(answer)
    assert WhatsAppDelivery.objects.count() == 1


def test_whatsapp_switched_off_is_a_404(app, settings):
    settings.WHATSAPP_ENABLED = False
    assert signed_post(app, meta_message(message_id="wamid.OFF"))[0] == 404
    assert not WhatsAppDelivery.objects.exists()


def test_the_verification_challenge_is_djangos(app):
    query = b"hub.mode=subscribe&hub.verify_token=test-verify-token&hub.challenge=12345"
    status, _headers, body = request(app, "GET", query=query)
    assert (status, body) == (200, b"12345")


def test_a_failing_database_on_the_fast_path_hands_the_delivery_to_django(app, monkeypatch, django_view_calls):
    signed_post(app, meta_message(message_id="wamid.LEARN"))
    original = services.whatsapp_deliveries_record

    def failing_on_the_fast_path(*, bodies, wake=True):
        if not wake:  # the writer thread's call
            raise DatabaseError("server closed the connection unexpectedly")
        return original(bodies=bodies, wake=wake)

    monkeypatch.setattr(services, "whatsapp_deliveries_record", failing_on_the_fast_path)
    status, _headers, body = signed_post(app, meta_message(message_id="wamid.RESCUED"))
    assert (status, body) == (200, b"ok")
    assert len(django_view_calls) == 2  # Django's view recorded it
    assert WhatsAppDelivery.objects.count() == 2


def test_the_fast_path_writes_djangos_access_log_line(app, caplog):
    with caplog.at_level(logging.INFO, logger="ayni.access"):
        signed_post(app, meta_message(message_id="wamid.LEARN"))  # Django's middleware writes this one
        signed_post(app, meta_message(message_id="wamid.LOGGED"))  # the fast path this one
    lines = [r.getMessage() for r in caplog.records if r.name == "ayni.access"]
    assert [re.sub(r"\d+ms$", "…ms", line) for line in lines] == ['"POST [whatsapp_webhook]" 200 …ms'] * 2
