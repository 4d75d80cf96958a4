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

``notify_grouped(key=..., recipient=..., message=...)`` is for changes that
come in bursts (a case assigned, answered and closed in one sitting): the
first change opens a group due ``AYNI_NOTIFY_GROUP_SECONDS`` later (default
300), the following ones join it, and when it is due one message lists them
all. A deferred task flushes the group at that moment (both queue backends
defer), and the periodic job ``ayni.notification_groups`` flushes whatever is
overdue. Sending deletes the group's row in the same transaction that queues
the deliveries, so a group is sent once however many workers flush it, and
nothing of the recipient is kept once it is sent.

``notification_claim(key)`` marks something as sent once (e.g. a daily
reminder per case): the first caller gets True, any later or concurrent one False.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import ngettext

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


# --- Grouped notifications --------------------------------------------------------

GROUP_SECONDS_DEFAULT = 300
# Finished delivery tasks of the database queue hold the recipient in their arguments: they go
# at the next sweep (failed ones stay this long, for diagnosis).
FAILED_DELIVERY_KEEP = timedelta(days=1)


def group_window() -> timedelta:
    return timedelta(seconds=getattr(settings, "AYNI_NOTIFY_GROUP_SECONDS", GROUP_SECONDS_DEFAULT))


def _reachable(recipient: Recipient) -> bool:
    return not recipient.empty and any(channel.reaches(recipient) for channel in channels().values())


def notify_grouped(*, key: str, recipient: Recipient, message: Message, now=None) -> bool:
    """Add ``message`` to the pending group ``key`` (opened now if there is none); returns whether it opened one.

    Within the caller's transaction: if it rolls back, the change was never
    added. The group's subject, link and recipient are the latest message's.
    A window of 0 seconds sends each message at once (``notify``).
    """
    from ayni.models import NotificationGroup

    if not _reachable(recipient):
        return False
    window = group_window()
    if window <= timedelta(0):
        notify(recipients=[recipient], message=message)
        return False
    now = now or timezone.now()
    fields = {"recipient": asdict(recipient), "event": message.event, "subject": message.subject[:200]}
    fields["url"] = message.url[:300]
    with transaction.atomic():
        for _attempt in range(3):
            # Waits for a flush that holds the row; a row the flush deleted is not found.
            group = NotificationGroup.objects.select_for_update().filter(key=key).first()
            if group is not None:
                for name, value in fields.items():
                    setattr(group, name, value)
                group.items = [*group.items, message.body]
                group.save(update_fields=[*fields, "items"])
                return False
            try:
                with transaction.atomic():
                    group = NotificationGroup.objects.create(
                        key=key, due_at=now + window, items=[message.body], **fields
                    )
            except IntegrityError:  # opened by a concurrent change: join it
                continue
            transaction.on_commit(lambda group=group: _flush_later(group.pk, group.due_at))
            logger.info("notification group opened for %s", message.event)
            return True
    raise IntegrityError(f"could not open or join the notification group {key!r}")


def _flush_later(pk: int, due_at) -> None:
    """Queue the group's flush for when it is due (the periodic sweep is the fallback)."""
    from ayni.tasks import flush_notification_group

    try:
        if flush_notification_group.get_backend().supports_defer:
            flush_notification_group.using(run_after=due_at).enqueue(pk=pk)
    except Exception:  # the periodic job sends it anyway
        logger.exception("could not queue a notification group's flush")


def grouped_body(items: list[str]) -> str:
    """One item as it is; several numbered under a count."""
    if len(items) == 1:
        return items[0]
    heading = ngettext("%(count)d novedad:", "%(count)d novedades:", len(items)) % {"count": len(items)}
    listed = "\n\n".join(f"{number}. {item}" for number, item in enumerate(items, start=1))
    return f"{heading}\n\n{listed}"


def notification_group_flush(*, pk: int, now=None) -> int:
    """Send one due group and delete it, in one transaction; 1 if this call sent it, else 0."""
    from ayni.models import NotificationGroup

    now = now or timezone.now()
    with transaction.atomic():
        # Another worker flushing the same group holds the row: skip it (on PostgreSQL; SQLite
        # serialises the transactions). The delete is the claim: only one caller deletes the row.
        group = NotificationGroup.objects.select_for_update(skip_locked=True).filter(pk=pk, due_at__lte=now).first()
        if group is None or NotificationGroup.objects.filter(pk=group.pk).delete()[0] != 1:
            return 0
        with translation.override(settings.LANGUAGE_CODE):
            body = grouped_body(group.items)
        notify(
            recipients=[Recipient(**group.recipient)],
            message=Message(event=group.event, subject=group.subject, body=body, url=group.url),
        )
    return 1


def notification_groups_flush(*, now=None, limit: int = 500) -> int:
    """Send every due group (the periodic job); returns how many this call sent."""
    from ayni.models import NotificationGroup

    now = now or timezone.now()
    due = NotificationGroup.objects.filter(due_at__lte=now).order_by("due_at", "pk").values_list("pk", flat=True)
    sent = sum(notification_group_flush(pk=pk, now=now) for pk in list(due[:limit]))
    delivered_tasks_purge(now=now)
    if sent:
        logger.info("notification groups sent: %d", sent)
    return sent


def delivered_tasks_purge(*, now=None) -> int:
    """Delete the database queue's finished delivery tasks: their arguments name the recipient."""
    from django.db.models import Q
    from django_tasks.base import TaskResultStatus

    from ayni.tasks import deliver_notification

    now = now or timezone.now()
    aliases = [alias for alias, config in settings.TASKS.items() if config["BACKEND"].startswith("django_tasks_db")]
    if not aliases:
        return 0
    from django_tasks_db.models import DBTaskResult

    finished = Q(status=TaskResultStatus.SUCCESSFUL) | Q(
        status=TaskResultStatus.FAILED, finished_at__lt=now - FAILED_DELIVERY_KEEP
    )
    return DBTaskResult.objects.filter(
        finished, backend_name__in=aliases, task_path=deliver_notification.module_path
    ).delete()[0]


# --- Once only ----------------------------------------------------------------------


def notification_claim(key: str) -> bool:
    """True the first time ``key`` is claimed (inside the caller's transaction), False ever after."""
    from ayni.models import NotificationMark

    try:
        with transaction.atomic():
            NotificationMark.objects.create(key=key[:150])
    except IntegrityError:
        return False
    return True


def notification_claimed(keys) -> set[str]:
    """Which of ``keys`` were claimed already (to skip them without trying)."""
    from ayni.models import NotificationMark

    return set(NotificationMark.objects.filter(key__in=[key[:150] for key in keys]).values_list("key", flat=True))


def notification_marks_purge(*, prefix: str, before) -> int:
    """Forget the marks of one kind (their keys start with ``prefix``) claimed before ``before``."""
    from ayni.models import NotificationMark

    return NotificationMark.objects.filter(key__startswith=prefix, created_at__lt=before).delete()[0]
