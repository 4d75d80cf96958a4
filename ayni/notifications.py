"""Notifications: one service, many channels (the core: every app may notify).

``notify(recipients=..., message=...)`` sends a message to each recipient by
every channel that can reach them; each delivery is its own background task
(``ayni.tasks.deliver_notification``), queued once the transaction commits, so
a failing channel delays nobody and loses nothing else.

A channel is a class with a ``name``, ``reaches(recipient)`` and
``deliver(recipient, message)``, written by the app that owns what it needs
(e-mail here; the in-site inbox in participation; WhatsApp in chatbot). Its
dotted path in ``settings.AYNI_NOTIFICATION_CHANNELS`` switches it on: that
list is the one place where channels are chosen.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    """Who to tell: an account and/or contact details given with consent."""

    user_id: int | None = None
    email: str = ""
    whatsapp: str = ""

    @property
    def empty(self) -> bool:
        return not (self.user_id or self.email or self.whatsapp)


@dataclass(frozen=True)
class Message:
    event: str
    subject: str
    body: str
    url: str = ""


class Channel:
    name = ""

    def reaches(self, recipient: Recipient) -> bool:  # pragma: no cover - interface
        raise NotImplementedError

    def deliver(self, recipient: Recipient, message: Message) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    name = "email"

    def reaches(self, recipient: Recipient) -> bool:
        return bool(recipient.email)

    def deliver(self, recipient: Recipient, message: Message) -> None:
        body = message.body
        if message.url:
            body = f"{body}\n\n{_absolute(message.url)}"
        send_mail(message.subject, body, None, [recipient.email])


def _absolute(url: str) -> str:
    if url.startswith("http"):
        return url
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


@lru_cache(maxsize=4)
def _load(paths: tuple[str, ...]) -> dict[str, Channel]:
    loaded = {}
    for path in paths:
        channel = import_string(path)()
        loaded[channel.name] = channel
    return loaded


def channels() -> dict[str, Channel]:
    return _load(tuple(settings.AYNI_NOTIFICATION_CHANNELS))


def notify(*, recipients: list[Recipient], message: Message) -> int:
    """Queue one delivery per (recipient, channel) after commit; returns how many."""
    from ayni.tasks import deliver_notification

    deliveries = []
    seen = set()
    for recipient in recipients:
        if recipient.empty or recipient in seen:
            continue
        seen.add(recipient)
        for name, channel in channels().items():
            if channel.reaches(recipient):
                deliveries.append((name, asdict(recipient)))
    payload = asdict(message)

    def enqueue():
        for name, recipient in deliveries:
            deliver_notification.enqueue(channel=name, recipient=recipient, message=payload)

    transaction.on_commit(enqueue)
    # Counts only: never log addresses or names.
    logger.info("notification %s queued for %d deliveries", message.event, len(deliveries))
    return len(deliveries)


def notification_deliver(*, channel: str, recipient: dict, message: dict) -> None:
    target = Recipient(**recipient)
    if target.user_id is not None and not get_user_model().objects.filter(pk=target.user_id, is_active=True).exists():
        return
    channels()[channel].deliver(target, Message(**message))
