"""Replies whose task the queue lost, enqueued again (a poll of ``manage.py worker``).

The webhook records every delivery in the database and the worker stores each message
there before its reply task is enqueued, so the database knows every message still
waiting for its answer. With the database queue (the embedded default) a task is a row
of the same database and cannot be lost apart from the message. With Redis Queue it
can: a Redis that restarts without its data (or a ``FLUSHALL``) loses the queued and
deferred jobs, a Redis that is down when a reply is enqueued refuses the job (the
message stays ``received``), and a job of a worker killed mid-run goes with Redis if
Redis goes too. Nobody would ever answer those messages: Meta does not deliver a
message again once the webhook acknowledged it.

So every few seconds the worker looks for messages still waiting (``received`` or
``retry``) that arrived more than ``WHATSAPP_REPLY_SWEEP_SECONDS`` ago, within
WhatsApp's 24-hour window, with no run holding them (no lease, or an expired one), and
enqueues their reply task again, at most once per period per message (a mark in the
cache: a long queue is not flooded with copies; a Redis that lost its data lost the
marks too, so its messages are enqueued again at once). A message enqueued twice is
still answered once: a run takes the message with a lease and sends only the replies
Meta has not accepted (``chatbot.services.whatsapp_message_reply``); the extra task
finds it answered and skips it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)

MARK = "chatbot:reply-requeued:{pk}"
BATCH = 500


def poll_every() -> float:
    """Seconds between two looks (a third of the sweep period, between 0.5 and 30)."""
    return min(30.0, max(0.5, settings.WHATSAPP_REPLY_SWEEP_SECONDS / 3))


def whatsapp_replies_requeue(*, now=None) -> int:
    """Enqueue again the reply task of messages waiting too long with no run holding them; how many."""
    from chatbot import tasks
    from chatbot.models import WhatsAppMessage

    backend = tasks.whatsapp_reply.get_backend()
    if not type(backend).__module__.startswith("django_tasks_rq"):
        return 0  # the database queue keeps its tasks with the messages; the tests' immediate one runs them at once
    now = now or timezone.now()
    period = settings.WHATSAPP_REPLY_SWEEP_SECONDS
    waiting = (
        WhatsAppMessage.objects.filter(
            status__in=[WhatsAppMessage.Status.RECEIVED, WhatsAppMessage.Status.RETRY],
            received_at__lte=now - timedelta(seconds=period),
            received_at__gt=now - timedelta(hours=24),
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .exclude(wa_id="")
        .order_by("received_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    requeued = 0
    for pk in waiting:
        if not cache.add(MARK.format(pk=pk), 1, timeout=period):
            continue  # enqueued again less than a period ago: its task may still be in the queue
        try:
            tasks.whatsapp_reply.enqueue(pk)
        except Exception:  # the queue is still down: the next look tries again
            cache.delete(MARK.format(pk=pk))
            logger.warning("could not enqueue again the WhatsApp reply for message %s", pk, exc_info=True)
            break
        requeued += 1
    if requeued:
        logger.warning("enqueued again %d WhatsApp replies the task queue had lost", requeued)
    return requeued
