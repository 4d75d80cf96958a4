"""On PostgreSQL the worker's WhatsApp bookkeeping commits without waiting for the disk; the reply
Meta accepted (``WhatsAppOutbound``) does wait, and so writes everything before it too.

(chatbot.services._bookkeeping: the webhook's acknowledgements no longer queue behind some eight
disk writes per reply. On SQLite these are ordinary transactions: the tests are PostgreSQL's.)
"""

from __future__ import annotations

import pytest
from django.db import connection

from chatbot import services
from chatbot.models import WhatsAppOutbound

from .conftest import meta_message

pytestmark = [
    pytest.mark.django_db(transaction=True),  # each block below is a transaction of its own
    pytest.mark.skipif(connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's"),
]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_bookkeeping_transactions_do_not_wait_for_the_disk_and_nothing_else_changes():
    before = _synchronous_commit()
    with services._bookkeeping():
        assert _synchronous_commit() == "off"
    assert _synchronous_commit() == before == "on"  # SET LOCAL: that transaction only


def test_the_reply_meta_accepted_is_committed_synchronously(wa_settings, graph, settings, monkeypatch):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    seen = []
    create = WhatsAppOutbound.objects.create

    def recording_create(**fields):
        seen.append(_synchronous_commit())
        return create(**fields)

    monkeypatch.setattr(WhatsAppOutbound.objects, "create", recording_create)
    item = meta_message(message_id="wamid.SYNC")["entry"][0]["changes"][0]["value"]["messages"][0]
    pk = services.whatsapp_message_store(message=item)
    assert services.whatsapp_message_reply(message_pk=pk) == "answered"
    assert seen and set(seen) == {"on"}
