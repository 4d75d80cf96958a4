"""The Redis Queue worker of ``manage.py worker`` (ayni.rq_worker): no fork per job, heartbeats kept.

Against a redis-server of the test's own. A job runs in the worker's process; while a long job
runs, its entry in RQ's started registry is renewed with the forking worker's short time to
live (so a worker killed mid-job leaves it to RQ's clean-up within about 90 s, and
``ayni.schedule.stale_tasks_requeue`` enqueues it again: tests/ayni/test_stale_tasks.py).
"""

from __future__ import annotations

import os
import time

import pytest
from django_tasks import task

from ayni import rq_worker
from ayni.management.commands import worker as worker_command

pytestmark = pytest.mark.django_db(transaction=True)  # the job closes its database connections

INTERVAL = 1  # seconds between heartbeats in these tests (30 in production)


@task()
def process_id() -> int:
    return os.getpid()


@task()
def registry_expiries() -> list[float]:
    """Twice, 3.5 s apart: this job's expiry in the started registry, minus now."""
    import django_rq
    from rq.registry import StartedJobRegistry

    registry = StartedJobRegistry(queue=django_rq.get_queue("default"))
    seen = []
    for _ in range(2):
        entries = registry.connection.zrange(registry.key, 0, -1, withscores=True)
        assert len(entries) == 1
        seen.append(entries[0][1] - time.time())
        time.sleep(3.5)
    return seen


@pytest.fixture
def rq_queue(settings, own_redis):
    import django_rq

    settings.RQ_QUEUES = {"default": {"URL": own_redis, "DEFAULT_TIMEOUT": 600}}
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    return django_rq.get_queue("default", job_class=rq_worker.Job)


def _work(queue) -> None:
    worker = rq_worker.Worker([queue], connection=queue.connection, job_class=rq_worker.Job)
    worker.job_monitoring_interval = INTERVAL
    worker.work(burst=True)


def test_manage_py_worker_runs_rq_with_this_worker_and_job_class():
    assert worker_command.RQ_OPTIONS == ("--job-class", "ayni.rq_worker.Job", "--worker-class", "ayni.rq_worker.Worker")


def test_a_job_runs_in_the_workers_own_process(rq_queue, monkeypatch):
    def no_fork():
        raise AssertionError("the worker forked")

    monkeypatch.setattr(os, "fork", no_fork)
    result = process_id.enqueue()
    _work(rq_queue)
    result.refresh()
    assert result.return_value == os.getpid()


def test_a_long_job_keeps_a_short_renewed_heartbeat(rq_queue):
    result = registry_expiries.enqueue()
    _work(rq_queue)
    result.refresh()
    first, second = result.return_value
    # The forking worker's time to live (interval + 60 s), not SimpleWorker's job timeout + 60 s (660 s) …
    assert first <= INTERVAL + 60 + 1
    # … renewed while the job runs (every second here): 3.5 s later the entry still expires about as
    # far ahead; without renewals it would be 3.5 s nearer.
    assert second > first - 2.0


def test_worker_started_without_redis_waits_for_it_and_starts_again_if_lost_while_starting(monkeypatch, settings):
    """No supervisor restarts `manage.py worker`: without Redis it waits (with backoff) instead of exiting."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nobody listens there
    answers = iter([False, False, True, False, True])  # down twice; up; lost while RQ registers; up again
    monkeypatch.setattr(worker_command, "_redis_reachable", lambda: next(answers))
    pauses = []
    monkeypatch.setattr(worker_command.time, "sleep", pauses.append)
    runs = []

    def rqworker(name, *args, **options):
        runs.append(args)
        if len(runs) == 1:
            raise SystemExit(1)  # django-rq's answer to a ConnectionError while the worker starts

    monkeypatch.setattr(worker_command, "call_command", rqworker)
    worker_command.Command()._rq_until_stopped()
    assert len(runs) == 2 and runs[0][:2] == ("default", "--with-scheduler")
    assert pauses == [0.5, 1.0]  # backoff while Redis was down, none once it answered


def test_worker_exits_when_rq_fails_with_redis_up(monkeypatch, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    monkeypatch.setattr(worker_command, "_redis_reachable", lambda: True)
    monkeypatch.setattr(worker_command, "call_command", lambda *a, **k: (_ for _ in ()).throw(SystemExit(1)))
    with pytest.raises(SystemExit):
        worker_command.Command()._rq_until_stopped()


def test_redis_reachable_says_no_for_a_port_nobody_listens_on(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.REDIS_SOCKET_TIMEOUT = 0.2
    assert worker_command._redis_reachable() is False
