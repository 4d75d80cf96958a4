"""Tasks a dead worker left RUNNING go back to the queue after AYNI_TASK_STALE_SECONDS."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from ayni import schedule
from chatbot import tasks

pytestmark = pytest.mark.django_db

DB_QUEUE = {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}


@pytest.fixture
def db_queue(settings):
    """The database queue as the tests' "queue" backend, whatever REDIS_URL selects (RQ in the PostgreSQL pass)."""
    settings.TASKS = {**settings.TASKS, "queue": DB_QUEUE}


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


def test_a_task_running_longer_than_the_timeout_is_ready_again(settings, db_queue):
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


def test_finished_tasks_are_left_alone(settings, db_queue):
    settings.AYNI_TASK_STALE_SECONDS = 60
    done = _running(started_minutes_ago=30)
    DBTaskResult.objects.filter(pk=done.pk).update(status=TaskResultStatus.SUCCESSFUL)
    assert schedule.stale_tasks_requeue() == 0
    done.refresh_from_db()
    assert done.status == TaskResultStatus.SUCCESSFUL


def test_an_rq_job_abandoned_by_a_dead_worker_is_enqueued_again(settings, own_redis):
    import django_rq
    from django_tasks_rq.backend import Job as RQJob
    from rq.executions import Execution
    from rq.job import JobStatus
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    settings.RQ_QUEUES = {"default": {"URL": own_redis}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    queue = django_rq.get_queue("default", job_class=RQJob)
    taken = tasks.whatsapp_reply.enqueue(1)
    failed_alone = tasks.whatsapp_reply.enqueue(2)
    # A worker took the first job and was killed: STARTED, in the started registry, off the queue,
    # and its heartbeats stopped (the entry's expiry is now).
    job = queue.fetch_job(taken.id)
    queue.remove(job)
    with queue.connection.pipeline() as pipe:
        job.set_status(JobStatus.STARTED, pipeline=pipe)
        execution = Execution.create(job, ttl=60, pipeline=pipe, worker_name="dead")
        StartedJobRegistry(queue=queue).add_execution(execution, pipe, ttl=0)
        pipe.execute()
    # The second one failed by itself (an exception in the task): it stays failed.
    other = queue.fetch_job(failed_alone.id)
    queue.remove(other)
    FailedJobRegistry(queue=queue).add(other, exc_string="Traceback ... ValueError: boom")
    assert taken.id not in queue.job_ids

    assert schedule.stale_tasks_requeue() == 1
    assert taken.id in queue.job_ids
    assert failed_alone.id not in queue.job_ids
    assert failed_alone.id in FailedJobRegistry(queue=queue).get_job_ids()
