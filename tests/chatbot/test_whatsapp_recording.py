"""The webhook only records: one INSERT on the acknowledgement path; the worker splits, answers, keeps nothing."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ayni import schedule
from chatbot import services
from chatbot.models import WhatsAppDelivery, WhatsAppMessage, WhatsAppOutbound, WhatsAppStatus

from .conftest import meta_message, meta_status, post_webhook

pytestmark = pytest.mark.django_db

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def db_queue(settings):
    """The embedded default's queue (django-tasks-db): what the worker polls for."""
    settings.TASKS = DB_QUEUE  # django-tasks resets its backends when TASKS changes


def _two_messages(first: str, second: str) -> dict:
    payload = meta_message(message_id=first, text="cuanto cuesta el catastro")
    payload["entry"][0]["changes"][0]["value"]["messages"].append(
        {"from": "59170000002", "id": second, "timestamp": "1735689600", "type": "text", "text": {"body": "hola"}}
    )
    return payload


def test_the_post_runs_one_insert_and_nothing_else(client, wa_settings, graph, db_queue):
    body = json.dumps(meta_message(message_id="wamid.ONE")).encode()
    with CaptureQueriesContext(connection) as queries:
        assert post_webhook(client, {}, raw=body).status_code == 200
    statements = [q["sql"] for q in queries.captured_queries]
    assert len(statements) == 1, statements
    assert statements[0].upper().startswith("INSERT") and "chatbot_whatsappdelivery" in statements[0]
    assert not WhatsAppMessage.objects.exists() and not graph.called  # the worker's work, not the request's


def test_an_identical_redelivery_is_recorded_once(client, wa_settings, graph, db_queue):
    payload = meta_message(message_id="wamid.TWICE")
    for _ in range(2):
        assert post_webhook(client, payload).status_code == 200
    assert WhatsAppDelivery.objects.count() == 1


def test_the_worker_splits_answers_once_and_erases_the_body(client, wa_settings, graph, db_queue, on_commit, settings):
    payload = _two_messages("wamid.W1", "wamid.W2")
    assert post_webhook(client, payload).status_code == 200
    # Meta's retry of the same messages in another envelope (not byte-identical): a second row.
    payload["entry"][0]["id"] = "WABA_RETRY"
    assert post_webhook(client, payload).status_code == 200
    assert post_webhook(client, meta_status(message_id="wamid.OUT1", status="delivered")).status_code == 200
    assert WhatsAppDelivery.objects.filter(processed_at__isnull=True).count() == 3

    settings.TASKS = IMMEDIATE  # the worker runs the reply tasks (here: at once)
    with on_commit():
        counts = services.whatsapp_deliveries_process()
    assert counts["deliveries"] == 3 and counts["stored"] == 2 and counts["statuses"] == 1
    # The retry's messages: still waiting (their reply tasks run after this batch), so their
    # tasks are enqueued again; the reply's lease and status make the second run a no-op.
    assert counts["requeued"] + counts["duplicates"] == 2
    assert set(WhatsAppMessage.objects.values_list("status", flat=True)) == {WhatsAppMessage.Status.ANSWERED}
    for message in WhatsAppMessage.objects.all():
        assert WhatsAppOutbound.objects.filter(in_reply_to=message).count() == len(
            [c for c in graph.calls if json.loads(c.request.content)["to"] == message.wa_id]
        )
    sent_to = sorted(json.loads(c.request.content)["to"] for c in graph.calls)
    assert sent_to.count("59170000002") >= 1 and len(sent_to) == WhatsAppOutbound.objects.count()
    assert WhatsAppStatus.objects.filter(message_id="wamid.OUT1").count() == 1
    # Nothing identifying is kept in the recorded deliveries once processed.
    assert set(WhatsAppDelivery.objects.values_list("body", flat=True)) == {""}
    calls = graph.call_count
    with on_commit():
        assert services.whatsapp_deliveries_process()["deliveries"] == 0
    assert graph.call_count == calls


def test_a_malformed_item_is_skipped_by_the_worker_without_losing_the_others(client, wa_settings, graph, on_commit):
    payload = _two_messages("wamid.GOOD", "wamid.BAD")
    payload["entry"][0]["changes"][0]["value"]["messages"][1]["from"] = "not a number"
    with on_commit():
        assert post_webhook(client, payload).status_code == 200
    assert list(WhatsAppMessage.objects.values_list("message_id", "status")) == [
        ("wamid.GOOD", WhatsAppMessage.Status.ANSWERED)
    ]


def test_bad_json_is_still_a_spanish_400_and_records_nothing(client, wa_settings, db_queue):
    response = post_webhook(client, {}, raw=b"{no es json")
    assert response.status_code == 400
    assert response.json()["detail"] == "El cuerpo no es JSON válido."
    assert not WhatsAppDelivery.objects.exists()


def test_a_batch_held_by_a_dead_worker_is_taken_after_its_lease(client, wa_settings, graph, db_queue, settings):
    assert post_webhook(client, meta_message(message_id="wamid.LEASE")).status_code == 200
    taken = services._deliveries_claim(10)  # a worker took it and died
    assert [d.pk for d in taken] == list(WhatsAppDelivery.objects.values_list("pk", flat=True))
    assert services._deliveries_claim(10) == []  # still held
    WhatsAppDelivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    settings.TASKS = IMMEDIATE
    assert services.whatsapp_deliveries_process()["stored"] == 1
    assert WhatsAppMessage.objects.filter(message_id="wamid.LEASE").exists()


def test_the_dead_run_cannot_mark_a_delivery_another_run_took(client, wa_settings, db_queue):
    assert post_webhook(client, meta_message(message_id="wamid.STALE")).status_code == 200
    (old,) = services._deliveries_claim(10)
    WhatsAppDelivery.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
    (new,) = services._deliveries_claim(10)
    assert old.claim != new.claim
    WhatsAppDelivery.objects.filter(pk=old.pk, claim=old.claim).update(processed_at=timezone.now())
    assert WhatsAppDelivery.objects.get().processed_at is None


def test_deliveries_are_purged_after_the_window(db_queue):
    old = WhatsAppDelivery.objects.create(digest="a" * 64, body='{"x": 1}')
    WhatsAppDelivery.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(hours=25))
    WhatsAppDelivery.objects.create(digest="b" * 64, body='{"x": 2}')
    assert services.purge_expired()["whatsapp_deliveries"] == 1
    assert list(WhatsAppDelivery.objects.values_list("digest", flat=True)) == ["b" * 64]


def test_the_worker_polls_for_deliveries():
    assert "chatbot.whatsapp_deliveries" in {poll.name for poll in schedule.polls()}


def test_a_failing_poll_never_stops_the_others():
    seen = []

    def broken():
        raise RuntimeError("boom")

    schedule.register_poll("tests.broken", broken, every=1)
    schedule.register_poll("tests.probe", lambda: seen.append(1), every=1)
    try:
        last: dict[str, float] = {}
        ran = schedule.poll_once(now=100.0, last=last)
        assert "tests.probe" in ran and "tests.broken" not in ran and seen == [1]
        assert "tests.probe" not in schedule.poll_once(now=100.5, last=last)  # not due yet
        assert "tests.probe" in schedule.poll_once(now=101.0, last=last)
    finally:
        schedule._POLLS.pop("tests.broken", None)
        schedule._POLLS.pop("tests.probe", None)
