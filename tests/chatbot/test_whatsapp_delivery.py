"""Replies to WhatsApp are retried and marked answered only once Meta accepted them.

Only Meta's Graph API is mocked (respx, at the HTTP boundary); everything else is real.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import httpx
import pytest
from django.db import transaction
from django.utils import timezone

from chatbot import services, tasks, whatsapp
from chatbot.models import WhatsAppMessage, WhatsAppOutbound

from .conftest import GRAPH, PHONE_ID, meta_message, post_webhook

pytestmark = pytest.mark.django_db

NUMBER = "59170000031"
MESSAGES = rf"{GRAPH}/v[0-9.]+/{PHONE_ID}/messages"


def accepted(request, n=[0]):  # noqa: B006 - a counter for unique ids
    n[0] += 1
    to = json.loads(request.content).get("to")
    return httpx.Response(
        200,
        json={
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": f"wamid.OK{n[0]}"}],
        },
    )


def unavailable(_request):
    return httpx.Response(503, json={"error": {"message": "Service temporarily unavailable", "code": 2}})


def refused(_request):
    return httpx.Response(400, json={"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100}})


@pytest.fixture
def wa(wa_settings):
    wa_settings.WHATSAPP_SEND_BACKOFF_SECONDS = 0  # no pause between attempts in tests
    wa_settings.WHATSAPP_SEND_ATTEMPTS = 3
    wa_settings.WHATSAPP_REPLY_RUNS = 3
    return wa_settings


@pytest.fixture
def meta(respx_mock):
    """Meta's /messages endpoint answering from a script of responses (then accepting)."""
    respx_mock.route(host="127.0.0.1").pass_through()
    respx_mock.route(host="localhost").pass_through()
    script: list = []

    def answer(request):
        return (script.pop(0) if script else accepted)(request)

    route = respx_mock.post(url__regex=MESSAGES).mock(side_effect=answer)
    route.script = script
    return route


def deliver(client, django_capture_on_commit_callbacks, message_id: str, text: str = "cuanto cuesta el catastro"):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(client, meta_message(message_id=message_id, wa_id=NUMBER, text=text))
    assert response.status_code == 200
    return WhatsAppMessage.objects.get(message_id=message_id)


def sent_to_resident(route) -> list[dict]:
    return [
        json.loads(call.request.content)
        for call in route.calls
        if call.optional_response is not None and call.optional_response.status_code == 200
    ]


def test_a_503_then_200_delivers_one_reply_and_answers_once(client, wa, meta, django_capture_on_commit_callbacks):
    meta.script.append(unavailable)
    message = deliver(client, django_capture_on_commit_callbacks, "wamid.D1")
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.ANSWERED and message.answered_at is not None
    assert meta.call_count == 2  # the 503, then the accepted one
    bodies = sent_to_resident(meta)
    assert len(bodies) == 1 and "Bs 120" in bodies[0]["text"]["body"]
    assert WhatsAppOutbound.objects.filter(in_reply_to=message).count() == 1
    assert message.pending_replies is None and message.claimed_until is None
    # Another run (a duplicate task) sends nothing.
    assert tasks.whatsapp_reply.call(message.pk) == "skipped"
    assert meta.call_count == 2


def test_three_503_leave_the_message_waiting_and_a_later_run_answers_it(
    client, wa, meta, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.INFO)
    meta.script.extend([unavailable] * 3)
    message = deliver(client, django_capture_on_commit_callbacks, "wamid.D2")
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.RETRY  # not answered, not lost
    assert message.answered_at is None and message.claimed_until is None and message.attempts == 1
    assert message.pending_replies  # the replies wait with the message
    assert meta.call_count == 3 and not WhatsAppOutbound.objects.filter(in_reply_to=message).exists()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert NUMBER not in logged and "catastro" not in logged and "wamid.D2" not in logged

    # The worker's later run (the task enqueues itself with run_after where the backend defers).
    assert tasks.whatsapp_reply.call(message.pk) == "answered"
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.ANSWERED and message.pending_replies is None
    bodies = sent_to_resident(meta)
    assert len(bodies) == 1 and "Bs 120" in bodies[0]["text"]["body"]
    assert WhatsAppOutbound.objects.filter(in_reply_to=message).count() == 1


def test_a_400_fails_at_once_and_is_never_retried(client, wa, meta, django_capture_on_commit_callbacks):
    meta.script.append(refused)
    message = deliver(client, django_capture_on_commit_callbacks, "wamid.D3")
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.FAILED
    assert meta.call_count == 1  # no second attempt for a 4xx
    assert message.pending_replies is None
    assert tasks.whatsapp_reply.call(message.pk) == "skipped"
    assert meta.call_count == 1


def test_a_429_is_retried(client, wa, meta, django_capture_on_commit_callbacks):
    meta.script.append(lambda r: httpx.Response(429, json={"error": {"message": "Too many", "code": 130429}}))
    message = deliver(client, django_capture_on_commit_callbacks, "wamid.D4")
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.ANSWERED and meta.call_count == 2


def test_network_errors_are_retried(client, wa, meta, django_capture_on_commit_callbacks):
    def down(request):
        raise httpx.ConnectError("connection refused", request=request)

    meta.script.extend([down, down])
    message = deliver(client, django_capture_on_commit_callbacks, "wamid.D5")
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.ANSWERED
    assert len(sent_to_resident(meta)) == 1


def test_a_retried_delivery_of_the_same_webhook_never_produces_a_second_reply(
    client, wa, meta, django_capture_on_commit_callbacks
):
    meta.script.extend([unavailable] * 3)
    message = deliver(client, django_capture_on_commit_callbacks, "wamid.D6")
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.RETRY
    # Meta delivers the same webhook again while the reply waits: nothing is sent twice.
    deliver(client, django_capture_on_commit_callbacks, "wamid.D6")
    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"
    assert len(sent_to_resident(meta)) == 1
    # ...and again once it was answered.
    calls = meta.call_count
    deliver(client, django_capture_on_commit_callbacks, "wamid.D6")
    assert services.whatsapp_message_reply(message_pk=message.pk) == "skipped"
    assert meta.call_count == calls
    assert WhatsAppMessage.objects.filter(message_id="wamid.D6").count() == 1
    assert WhatsAppOutbound.objects.filter(in_reply_to=message).count() == 1


def test_a_multi_part_reply_resumes_where_it_stopped(wa, meta):
    """Part one accepted, part two refused by a down Meta: the later run sends part two only."""
    message = WhatsAppMessage.objects.create(message_id="wamid.D7", wa_id=NUMBER, kind="text", text="hola")
    WhatsAppMessage.objects.filter(pk=message.pk).update(
        pending_replies=[{"text": "Primera parte", "buttons": []}, {"text": "Segunda parte", "buttons": []}]
    )
    meta.script.extend([accepted, unavailable, unavailable, unavailable])
    assert services.whatsapp_message_reply(message_pk=message.pk) == "retry"
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.RETRY
    assert [b["text"]["body"] for b in sent_to_resident(meta)] == ["Primera parte"]
    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"
    assert [b["text"]["body"] for b in sent_to_resident(meta)] == ["Primera parte", "Segunda parte"]
    assert WhatsAppOutbound.objects.filter(in_reply_to=message).count() == 2


def test_after_the_last_run_the_message_fails(wa, meta):
    wa.WHATSAPP_REPLY_RUNS = 2
    message = WhatsAppMessage.objects.create(message_id="wamid.D8", wa_id=NUMBER, kind="audio", text="")
    meta.script.extend([unavailable] * 6)
    assert services.whatsapp_message_reply(message_pk=message.pk) == "retry"
    assert services.whatsapp_message_reply(message_pk=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.FAILED and message.pending_replies is None
    assert meta.call_count == 6 and not sent_to_resident(meta)


def test_a_message_taken_by_a_live_run_is_not_sent_again(wa, meta):
    """Two runs at once (a duplicate task): the second finds the message taken and sends nothing."""
    message = WhatsAppMessage.objects.create(message_id="wamid.D9", wa_id=NUMBER, kind="audio", text="")
    WhatsAppMessage.objects.filter(pk=message.pk).update(claimed_until=timezone.now() + timedelta(minutes=5))
    assert services.whatsapp_message_reply(message_pk=message.pk) == "skipped"
    assert not meta.called
    # A run that died leaves its lease behind: once it ends, the next run answers.
    WhatsAppMessage.objects.filter(pk=message.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"
    assert len(sent_to_resident(meta)) == 1


def test_a_failed_run_enqueues_itself_for_later_where_the_queue_defers(wa, meta, settings):
    """On the database queue (make run) the task comes back by itself, deferred."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    message = WhatsAppMessage.objects.create(message_id="wamid.D10", wa_id=NUMBER, kind="audio", text="")
    meta.script.extend([unavailable] * 3)
    before = timezone.now()
    assert services.whatsapp_message_reply(message_pk=message.pk) == "retry"
    queued = DBTaskResult.objects.get(task_path="chatbot.tasks.whatsapp_reply", args_kwargs__args=[message.pk])
    assert queued.run_after is not None and queued.run_after >= before + timedelta(seconds=59)


def test_the_sender_uses_the_configured_base_url(wa, respx_mock):
    """WHATSAPP_API_BASE_URL points the sender at a stand-in (tests, benchmarks)."""
    wa.WHATSAPP_API_BASE_URL = "http://wa-standin.test:8080/graph"
    whatsapp._client.cache_clear()
    route = respx_mock.post(url__regex=rf"http://wa-standin.test:8080/graph/v[0-9.]+/{PHONE_ID}/messages").mock(
        side_effect=accepted
    )
    message_id, kind, _text = whatsapp.send_reply(to=NUMBER, reply={"text": "hola", "buttons": []})
    assert route.call_count == 1 and message_id.startswith("wamid.OK") and kind == "text"


def test_notifications_are_retried_too(wa, meta):
    meta.script.append(unavailable)
    with transaction.atomic():
        outbound = services.whatsapp_notification_send(wa_id=NUMBER, subject="Su caso", body="Resuelto")
    assert outbound.message_id.startswith("wamid.OK") and meta.call_count == 2
