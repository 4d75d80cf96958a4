"""Periodic jobs that the task worker runs by itself (``manage.py worker``).

Each app registers its jobs in its ``AppConfig.ready()``::

    schedule.register("chatbot.purge", tasks.purge_expired_task, every=timedelta(hours=6))

``tick()`` enqueues every job whose interval has passed since it was last
enqueued. The claim is one conditional UPDATE on ``ScheduledJobRun``, so any
number of workers (one per machine, or several per machine) enqueue a job
once per interval between them; a worker that restarts does not repeat a
weekly job that already ran.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

logger = logging.getLogger(__name__)


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
