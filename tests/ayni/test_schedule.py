"""Periodic jobs: registered by their apps, enqueued once per interval by whichever worker ticks."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from ayni import schedule
from ayni.models import ScheduledJobRun

pytestmark = pytest.mark.django_db
RUNS = []


@task()
def _probe() -> int:
    RUNS.append(1)
    return len(RUNS)


@pytest.fixture
def probe_job():
    RUNS.clear()
    job = schedule.register("tests.probe", _probe, every=timedelta(hours=1))
    yield job
    schedule._REGISTRY.pop("tests.probe", None)


def test_apps_register_their_purges_and_weekly_jobs_without_anyone_doing_it_by_hand():
    names = {job.name for job in schedule.jobs()}
    assert {
        "chatbot.purge",
        "participation.personal_data_purge",
        "opendata.published_datasets",
        "opendata.ckan_outbox",
    } <= names


def test_a_job_is_enqueued_once_per_interval(probe_job):
    now = timezone.now()
    assert "tests.probe" in schedule.tick(now=now)
    assert "tests.probe" not in schedule.tick(now=now + timedelta(minutes=59))
    assert "tests.probe" in schedule.tick(now=now + timedelta(minutes=61))
    assert len(RUNS) == 2
    assert ScheduledJobRun.objects.get(name="tests.probe").last_enqueued_at == now + timedelta(minutes=61)


def test_a_restarted_worker_does_not_repeat_a_job_that_ran(probe_job):
    now = timezone.now()
    schedule.tick(now=now)
    schedule._REGISTRY.pop("tests.probe")
    schedule.register("tests.probe", _probe, every=timedelta(hours=1))  # as a new process would
    assert "tests.probe" not in schedule.tick(now=now + timedelta(minutes=5))


def test_a_failing_job_does_not_stop_the_others(probe_job):
    class Broken:
        def enqueue(self):
            raise RuntimeError("queue down")

    schedule.register("tests.broken", Broken(), every=timedelta(hours=1))
    try:
        assert "tests.probe" in schedule.tick()
    finally:
        schedule._REGISTRY.pop("tests.broken", None)


def test_worker_batch_enqueues_due_jobs_and_processes_the_queue(probe_job, capsys):
    call_command("worker", "--batch", "--backend", "queue")
    assert "tests.probe" in capsys.readouterr().out
    assert RUNS == [1]
