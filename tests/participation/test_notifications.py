"""The notification service: channels are switched on in one setting."""

import pytest
from django.core import mail

from ayni import notifications
from ayni.notifications import Channel, Message, Recipient
from participation.models import Notification
from participation.notifications import recipient_for_user

pytestmark = pytest.mark.django_db

DELIVERED: list = []


class FakeWhatsAppChannel(Channel):
    """What the chatbot issue will add (there with the WhatsApp Cloud API)."""

    name = "whatsapp"

    def reaches(self, recipient):
        return bool(recipient.whatsapp)

    def deliver(self, recipient, message):
        DELIVERED.append((recipient.whatsapp, message.subject))


def test_each_recipient_gets_each_channel_that_reaches_it(make_user, django_capture_on_commit_callbacks):
    user = make_user()
    message = Message(event="prueba", subject="Asunto", body="Cuerpo", url="/participa/")
    with django_capture_on_commit_callbacks(execute=True):
        count = notifications.notify(
            recipients=[
                recipient_for_user(user),
                Recipient(email="solo-correo@ejemplo.bo"),
                Recipient(),
                recipient_for_user(user),  # duplicates are dropped
            ],
            message=message,
        )
    assert count == 3
    assert Notification.objects.filter(user=user, subject="Asunto").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted([user.email, "solo-correo@ejemplo.bo"])
    assert "http://" in mail.outbox[0].body and "/participa/" in mail.outbox[0].body


def test_a_new_channel_is_one_setting_away(settings, django_capture_on_commit_callbacks):
    settings.AYNI_NOTIFICATION_CHANNELS = [
        *settings.AYNI_NOTIFICATION_CHANNELS,
        "tests.participation.test_notifications.FakeWhatsAppChannel",
    ]
    DELIVERED.clear()
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify(recipients=[Recipient(whatsapp="+59171234567")], message=Message("e", "Hola", "Texto"))
    assert DELIVERED == [("+59171234567", "Hola")]
    assert mail.outbox == []


def test_nothing_is_sent_if_the_transaction_rolls_back(make_user):
    from django.db import transaction

    user = make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        notifications.notify(recipients=[recipient_for_user(user)], message=Message("e", "S", "B"))
        raise RuntimeError
    assert not Notification.objects.filter(user=user).exists() and mail.outbox == []
