"""Tasks a dead worker left RUNNING go back to the queue after AYNI_TASK_STALE_SECONDS."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ayni import schedule
from chatbot import tasks

pytestmark = pytest.mark.django_db


def _running(started_minutes_ago: int) -> DBTaskResult:
    result = tasks.whatsapp_reply.using(backend="queue").enqueue(1)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago),
        worker_ids=["dead-worker"],
    )
    return DBTaskResult.objects.get(pk=result.id)


def test_the_core_registers_the_sweep():
    job = {job.name: job for job in schedule.jobs()}["ayni.stale_tasks"]
    assert job.every == schedule.stale_sweep_every() == timedelta(minutes=1)


def test_a_task_running_longer_than_the_timeout_is_ready_again(settings):
    settings.AYNI_TASK_STALE_SECONDS = 600
    dead = _running(started_minutes_ago=11)
    alive = _running(started_minutes_ago=2)
    assert schedule.stale_tasks_requeue() == 1
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == TaskResultStatus.READY and dead.started_at is None
    assert DBTaskResult.objects.ready().filter(pk=dead.pk).exists()  # what db_worker picks up next
    assert alive.status == TaskResultStatus.RUNNING
    assert schedule.stale_tasks_requeue() == 0


def test_finished_tasks_are_left_alone(settings):
    settings.AYNI_TASK_STALE_SECONDS = 60
    done = _running(started_minutes_ago=30)
    DBTaskResult.objects.filter(pk=done.pk).update(status=TaskResultStatus.SUCCESSFUL)
    assert schedule.stale_tasks_requeue() == 0
    done.refresh_from_db()
    assert done.status == TaskResultStatus.SUCCESSFUL
