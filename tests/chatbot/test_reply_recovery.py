"""Replies whose task the Redis queue lost are enqueued again by the worker (chatbot.recovery).

Against a redis-server of the test's own (the core's ``own_redis`` fixture). The end-to-end
case (worker killed and Redis stopped mid-burst, every message answered once) is
tests/ayni/test_fault_redis.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chatbot import recovery
from chatbot.models import WhatsAppMessage
from tests.ayni.conftest import own_redis  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def rq_queue(settings, own_redis):  # noqa: F811
    import django_rq

    from ayni import rq_worker

    settings.RQ_QUEUES = {"default": {"URL": own_redis, "DEFAULT_TIMEOUT": 600}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.WHATSAPP_REPLY_SWEEP_SECONDS = 60
    return django_rq.get_queue("default", job_class=rq_worker.Job)


def _message(whats_app_message_factory, *, age: int, **fields) -> WhatsAppMessage:
    message = whats_app_message_factory(**fields)
    WhatsAppMessage.objects.filter(pk=message.pk).update(received_at=timezone.now() - timedelta(seconds=age))
    return message


def _queued(queue) -> list[list]:
    return [job.args for job in queue.get_jobs()]


def test_a_waiting_message_with_no_run_holding_it_gets_its_reply_task_again(rq_queue, whats_app_message_factory):
    lost = _message(whats_app_message_factory, age=120)
    retry = _message(whats_app_message_factory, age=600, status=WhatsAppMessage.Status.RETRY)
    died = _message(whats_app_message_factory, age=120, claimed_until=timezone.now() - timedelta(seconds=1))
    _message(whats_app_message_factory, age=5)  # just arrived: its task is still ahead in the queue
    _message(whats_app_message_factory, age=120, claimed_until=timezone.now() + timedelta(seconds=30))  # being answered
    _message(whats_app_message_factory, age=120, status=WhatsAppMessage.Status.ANSWERED)
    _message(whats_app_message_factory, age=120, wa_id="")  # number erased: never answered
    _message(whats_app_message_factory, age=25 * 3600)  # past WhatsApp's 24-hour window

    assert recovery.whatsapp_replies_requeue() == 3
    queued = _queued(rq_queue)
    assert sorted(args[0] for args in queued if args) == sorted([lost.pk, retry.pk, died.pk]), queued
    # Once per period: a long queue is not flooded with copies of the same task.
    assert recovery.whatsapp_replies_requeue() == 0
    assert len(rq_queue.get_jobs()) == 3


def test_the_database_queue_keeps_its_tasks_and_is_left_alone(settings, whats_app_message_factory):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    _message(whats_app_message_factory, age=3600)
    assert recovery.whatsapp_replies_requeue() == 0
