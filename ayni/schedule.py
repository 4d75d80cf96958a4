"""Periodic jobs that the task worker runs by itself (``manage.py worker``).

Each app registers its jobs in its ``AppConfig.ready()``::

    schedule.register("chatbot.purge", tasks.purge_expired_task, every=timedelta(hours=6))

``tick()`` enqueues every job whose interval has passed since it was last
enqueued. The claim is one conditional UPDATE on ``ScheduledJobRun``, so any
number of workers (one per machine, or several per machine) enqueue a job
once per interval between them; a worker that restarts does not repeat a
weekly job that already ran.

Polls are the other kind: a function the worker process calls itself every
second or so (``register_poll``), for work that must start at once and that
the request path records without enqueueing anything (the WhatsApp webhook's
deliveries). A poll must be safe to run in several workers at the same time.

The core's own job, ``ayni.stale_tasks`` (``stale_tasks_requeue``), puts back
in the queue the tasks a dead worker left running (a worker killed with
SIGKILL, a machine lost): on the database queue, ``RUNNING`` rows started more
than ``AYNI_TASK_STALE_SECONDS`` ago become ``READY`` again; on Redis Queue,
RQ's own clean-up of abandoned jobs runs and they are enqueued again. A task
that legitimately runs longer than that would run twice, so tasks must be
idempotent (the WhatsApp reply's lease makes a second run wait and then find
the message answered) or shorter (RQ stops jobs after its 600 s timeout).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)


# Tasks RUNNING longer than AYNI_TASK_STALE_SECONDS (a setting; default below) are taken for
# the work of a dead worker; the core checks every AYNI_TASK_SWEEP_SECONDS (default: a minute).
STALE_SECONDS_DEFAULT = 900
SWEEP_SECONDS_DEFAULT = 60


def stale_sweep_every() -> timedelta:
    from django.conf import settings

    return timedelta(seconds=getattr(settings, "AYNI_TASK_SWEEP_SECONDS", SWEEP_SECONDS_DEFAULT))


@dataclass(frozen=True)
class Job:
    name: str
    task: object  # a django_tasks Task
    every: timedelta


_REGISTRY: dict[str, Job] = {}


def register(name: str, task, *, every: timedelta) -> Job:
    """Register (or replace) a periodic job; the task takes no arguments."""
    if every <= timedelta(0):
        raise ValueError("every must be positive")
    job = Job(name=name, task=task, every=every)
    _REGISTRY[name] = job
    return job


def jobs() -> list[Job]:
    return sorted(_REGISTRY.values(), key=lambda job: job.name)


@dataclass(frozen=True)
class Poll:
    name: str
    function: object  # called with no arguments in the worker process
    every: float  # seconds


_POLLS: dict[str, Poll] = {}


def register_poll(name: str, function, *, every: float) -> Poll:
    """Register (or replace) a function the worker calls itself every ``every`` seconds."""
    if every <= 0:
        raise ValueError("every must be positive")
    poll = Poll(name=name, function=function, every=every)
    _POLLS[name] = poll
    return poll


def polls() -> list[Poll]:
    return sorted(_POLLS.values(), key=lambda poll: poll.name)


def poll_once(*, now: float | None = None, last: dict[str, float] | None = None) -> list[str]:
    """Run the polls that are due (all of them without ``last``); returns their names.

    ``last`` maps a poll's name to the monotonic time it last ran and is updated.
    One failing poll is logged and never stops the others.
    """
    import time

    from django.db import close_old_connections

    now = time.monotonic() if now is None else now
    ran = []
    for poll in polls():
        if last is not None and now - last.get(poll.name, float("-inf")) < poll.every:
            continue
        try:
            poll.function()
            ran.append(poll.name)
        except Exception:
            logger.exception("poll %s failed", poll.name)
        finally:
            close_old_connections()
            if last is not None:
                last[poll.name] = now
    return ran


@dataclass(frozen=True)
class JobStatus:
    """What staff see of a periodic job (``manage.py schedule``, the admin's report)."""

    name: str
    every: timedelta
    last_enqueued_at: object  # datetime | None
    next_due_at: object  # datetime: now when it never ran (the next worker tick enqueues it)
    task: str  # the task's dotted path


def job_statuses(*, now=None) -> list[JobStatus]:
    """Every registered job with its last run and next run, in name order."""
    from ayni.models import ScheduledJobRun

    now = now or timezone.now()
    last = dict(ScheduledJobRun.objects.values_list("name", "last_enqueued_at"))
    statuses = []
    for job in jobs():
        when = last.get(job.name)
        task = getattr(job.task, "module_path", "") or repr(job.task)
        statuses.append(
            JobStatus(
                name=job.name,
                every=job.every,
                last_enqueued_at=when,
                next_due_at=max(when + job.every, now) if when else now,
                task=task,
            )
        )
    return statuses


def _claim(job: Job, now) -> bool:
    from ayni.models import ScheduledJobRun

    try:
        with transaction.atomic():
            ScheduledJobRun.objects.get_or_create(name=job.name)
    except IntegrityError:  # created by another worker at the same moment
        pass
    due = Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=now - job.every)
    return ScheduledJobRun.objects.filter(due, name=job.name).update(last_enqueued_at=now) == 1


def tick(*, now=None) -> list[str]:
    """Enqueue the jobs that are due; returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in jobs():
        try:
            if _claim(job, now):
                job.task.enqueue()
                enqueued.append(job.name)
        except Exception:  # one failing job must not stop the others or the worker
            logger.exception("periodic job %s could not be enqueued", job.name)
    return enqueued


def stale_tasks_requeue(*, now=None) -> int:
    """Put back in the queue the tasks a dead worker left running; returns how many."""
    from django.conf import settings
    from django_tasks import task_backends

    now = now or timezone.now()
    stale = timedelta(seconds=getattr(settings, "AYNI_TASK_STALE_SECONDS", STALE_SECONDS_DEFAULT))
    requeued = 0
    for alias in settings.TASKS:
        backend = task_backends[alias]
        module = type(backend).__module__
        if module.startswith("django_tasks_db"):
            requeued += _stale_db_tasks_requeue(alias, cutoff=now - stale)
        elif module.startswith("django_tasks_rq"):
            requeued += _stale_rq_jobs_requeue(backend)
    if requeued:
        logger.warning("requeued %d tasks left running by a dead worker", requeued)
    return requeued


def _stale_db_tasks_requeue(alias: str, *, cutoff) -> int:
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    with transaction.atomic():
        return DBTaskResult.objects.filter(
            backend_name=alias, status=TaskResultStatus.RUNNING, started_at__lt=cutoff
        ).update(status=TaskResultStatus.READY, started_at=None)


def _stale_rq_jobs_requeue(backend) -> int:
    """RQ itself tells a dead worker's job: its heartbeats stopped, so its clean-up moves it to
    the failed registry as ``AbandonedJobError``; enqueue those again (a job that failed by
    itself stays failed)."""
    import django_rq
    from django_tasks_rq.backend import Job as RQJob
    from rq.registry import FailedJobRegistry, StartedJobRegistry

    requeued = 0
    for name in backend.queues:
        queue = django_rq.get_queue(name, job_class=RQJob)
        StartedJobRegistry(queue=queue).cleanup()
        failed = FailedJobRegistry(queue=queue)
        for job_id in failed.get_job_ids():
            job = queue.fetch_job(job_id)
            if job is None:
                continue
            result = job.latest_result()
            if result is not None and "AbandonedJobError" in (result.exc_string or ""):
                failed.requeue(job_id)
                requeued += 1
    return requeued
