# ruff: noqa: F811  (pytest fixtures imported from tests.chatbot.conftest)
"""WhatsApp numbers are kept only while needed and never next to a tracking code (issue 9)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chatbot import services, tasks
from chatbot.models import ChatExchange, WhatsAppMessage, WhatsAppOutbound, WhatsAppStatus
from participation import codes
from tests.chatbot.conftest import (  # noqa: F401  (fixtures)
    _rasa_down,
    graph,
    meta_message,
    meta_status,
    on_commit,
    post_webhook,
    wa_settings,
)

pytestmark = pytest.mark.django_db

NUMBER = "59170000021"
CODE = "RC-7K4MX-2Q9PA"


def _rows_with_number_and_code(number: str) -> list[str]:
    """Every stored text that sits next to ``number`` and holds a tracking code."""
    found = []
    for model in (WhatsAppMessage, WhatsAppOutbound):
        for row in model.objects.filter(wa_id=number):
            if codes.redact(row.text) != row.text:
                found.append(f"{model.__name__}: {row.text}")
    return found


@pytest.mark.parametrize(
    "typed",
    [CODE, "rc-7k4mx-2q9pa", "RC7K4MX2Q9PA", "dn 7k4mx 2q9pa", "SG.7K4MX.2Q9PA"],
)
def test_redact_finds_codes_as_people_type_them(typed):
    assert codes.redact(f"el estado de {typed}, por favor") == "el estado de [código], por favor"


def test_redact_leaves_ordinary_text_alone():
    text = "¿Cuánto cuesta el registro de la DNI? Requisitos del RC del SG 2024, Sgto. Pérez"
    assert codes.redact(text) == text


def test_a_code_in_a_message_is_not_kept_next_to_the_number(client, wa_settings, graph, on_commit):
    payload = meta_message(message_id="wamid.CODE1", wa_id=NUMBER, text=f"cual es el estado de mi reclamo {CODE}")
    with on_commit():
        assert post_webhook(client, payload).status_code == 200
    message = WhatsAppMessage.objects.get(message_id="wamid.CODE1")
    assert message.status == WhatsAppMessage.Status.ANSWERED
    assert graph.called  # the person was answered (with the code as they need it)
    assert _rows_with_number_and_code(NUMBER) == []
    assert "[código]" in message.text
    for exchange in ChatExchange.objects.filter(channel="whatsapp"):
        assert codes.redact(exchange.text) == exchange.text
        assert codes.redact(exchange.reply) == exchange.reply


def test_a_notification_with_a_code_is_stored_without_it(wa_settings, graph):
    outbound = services.whatsapp_notification_send(wa_id=NUMBER, subject=f"Tu caso {CODE}", body="Resuelto")
    sent = [json.loads(call.request.content) for call in graph.calls]
    assert CODE in json.dumps(sent)  # the person gets the code...
    outbound.refresh_from_db()
    assert CODE not in outbound.text  # ...the ledger does not keep it next to the number
    assert _rows_with_number_and_code(NUMBER) == []


def test_delivery_statuses_keep_no_number(client, wa_settings):
    assert post_webhook(client, meta_status(message_id="wamid.OUT5", status="read", wa_id=NUMBER)).status_code == 200
    assert WhatsAppStatus.objects.get(message_id="wamid.OUT5").recipient == ""


def _aged(model, pk, *, days: float, field: str) -> None:
    model.objects.filter(pk=pk).update(**{field: timezone.now() - timedelta(days=days)})


def test_purge_expired_erases_numbers_and_deletes_old_ledgers(settings):
    settings.AYNI_WHATSAPP_NUMBER_RETENTION_DAYS = 30
    settings.AYNI_WHATSAPP_LEDGER_RETENTION_DAYS = 90
    settings.CHATBOT_LOG_RETENTION_DAYS = 90
    make = WhatsAppMessage.objects.create
    fresh = make(message_id="wamid.FRESH", wa_id=NUMBER, kind="text", text="hola", status="answered")
    month = make(message_id="wamid.HBgLNTkxNzAwMDAwMjE=", wa_id=NUMBER, kind="text", text="hola", status="answered")
    ancient = make(message_id="wamid.OLD", wa_id=NUMBER, kind="text", text="hola", status="answered")
    stuck = make(message_id="wamid.STUCK", wa_id=NUMBER, kind="text", text=f"estado {CODE}")
    _aged(WhatsAppMessage, month.pk, days=31, field="received_at")
    _aged(WhatsAppMessage, ancient.pk, days=91, field="received_at")
    _aged(WhatsAppMessage, stuck.pk, days=2, field="received_at")
    out_fresh = WhatsAppOutbound.objects.create(message_id="wamid.OUTF", wa_id=NUMBER, kind="text", text="x")
    out_month = WhatsAppOutbound.objects.create(message_id="wamid.OUTM", wa_id=NUMBER, kind="text", text="x")
    out_old = WhatsAppOutbound.objects.create(message_id="wamid.OUTO", wa_id=NUMBER, kind="text", text="x")
    _aged(WhatsAppOutbound, out_month.pk, days=31, field="created_at")
    _aged(WhatsAppOutbound, out_old.pk, days=91, field="created_at")
    st_month = WhatsAppStatus.objects.create(message_id="wamid.OUTM", status="read")
    st_old = WhatsAppStatus.objects.create(message_id="wamid.OUTO", status="read")
    _aged(WhatsAppStatus, st_month.pk, days=31, field="created_at")
    _aged(WhatsAppStatus, st_old.pk, days=91, field="created_at")
    log_old = ChatExchange.objects.create(sender_hash="x", channel="whatsapp", text="vieja", engine="fallback")
    ChatExchange.objects.create(sender_hash="x", channel="whatsapp", text="nueva", engine="fallback")
    _aged(ChatExchange, log_old.pk, days=91, field="created_at")

    counts = services.purge_expired()

    assert counts["chat_exchanges"] == 1
    assert counts["whatsapp_messages"] == 1 and counts["whatsapp_outbound"] == 1 and counts["whatsapp_statuses"] == 1
    assert not WhatsAppMessage.objects.filter(pk=ancient.pk).exists()
    assert not WhatsAppOutbound.objects.filter(pk=out_old.pk).exists()
    assert not WhatsAppStatus.objects.filter(pk=st_old.pk).exists()
    assert list(ChatExchange.objects.values_list("text", flat=True)) == ["nueva"]
    # Older than the number retention: no number, and no Meta id (it encodes the number).
    month.refresh_from_db()
    out_month.refresh_from_db()
    st_month.refresh_from_db()
    assert month.wa_id == "" and "wamid" not in month.message_id and NUMBER not in month.message_id
    assert out_month.wa_id == "" and "wamid" not in out_month.message_id
    assert "wamid" not in st_month.message_id
    assert counts["whatsapp_numbers_erased"] == 2
    # Recent rows keep what is needed to answer.
    fresh.refresh_from_db()
    out_fresh.refresh_from_db()
    assert fresh.wa_id == NUMBER and fresh.message_id == "wamid.FRESH" and out_fresh.wa_id == NUMBER
    # Never answered within WhatsApp's 24-hour window: it cannot be answered any more.
    stuck.refresh_from_db()
    assert stuck.status == WhatsAppMessage.Status.FAILED and CODE not in stuck.text
    assert _rows_with_number_and_code(NUMBER) == []
    # Running it again changes nothing.
    again = services.purge_expired()
    assert sum(again.values()) == 0


def test_number_retention_follows_the_setting(settings):
    settings.AYNI_WHATSAPP_NUMBER_RETENTION_DAYS = 5
    message = WhatsAppMessage.objects.create(message_id="wamid.SIX", wa_id=NUMBER, kind="text", status="answered")
    _aged(WhatsAppMessage, message.pk, days=6, field="received_at")
    services.purge_expired(now=timezone.now())
    message.refresh_from_db()
    assert message.wa_id == ""
    assert not WhatsAppMessage.objects.filter(wa_id=NUMBER).exists()


def test_the_purge_task_and_command_run_every_rule(settings):
    message = WhatsAppMessage.objects.create(message_id="wamid.T", wa_id=NUMBER, kind="text", status="answered")
    _aged(WhatsAppMessage, message.pk, days=40, field="received_at")
    result = tasks.chat_log_purge.call()
    assert result["whatsapp_numbers_erased"] == 1
    message.refresh_from_db()
    assert message.wa_id == ""
    other = WhatsAppMessage.objects.create(message_id="wamid.C", wa_id=NUMBER, kind="text", status="answered")
    _aged(WhatsAppMessage, other.pk, days=40, field="received_at")
    call_command("chatbot_purge_log", stdout=__import__("io").StringIO())
    other.refresh_from_db()
    assert other.wa_id == ""


def test_a_message_whose_number_was_erased_is_never_answered(wa_settings, graph):
    message = WhatsAppMessage.objects.create(message_id="h:x", wa_id="", kind="text", text="hola")
    services.whatsapp_message_reply(message_pk=message.pk)
    assert not graph.called
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.RECEIVED  # not even attempted (purge_expired closes it)
