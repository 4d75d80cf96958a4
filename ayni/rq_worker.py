"""The Redis Queue worker of ``manage.py worker``: jobs run in the worker's own process.

RQ's default worker forks a child process ("work horse") for every job: with
Django loaded that is most of a short job's cost (a WhatsApp reply took about
0.35 s, most of it the fork and the child warming up what the parent had
already loaded), and a burst of replies kept both cores busy forking. Here
jobs run one after another in the worker process itself (RQ's ``SimpleWorker``),
which keeps its imports, the understanding's indexes and its database pool warm.

What the forking worker gave for free is kept:

- Heartbeats while a job runs (``Worker``): a thread renews the worker's and the
  job's heartbeat every ``job_monitoring_interval`` (30 s), with the forking
  worker's time to live (interval + 60 s). A worker killed mid-job (SIGKILL, a
  lost machine) stops renewing, so RQ's clean-up finds its job abandoned within
  about 90 s and the core's sweep (``ayni.schedule.stale_tasks_requeue``)
  enqueues it again; ``SimpleWorker`` alone would hold it for the job timeout
  plus a minute (11 minutes).
- A clean database state per job (``Job``): the job's connections are closed
  (given back to the pool) after it, as a forked child's were by its exit, so a
  job that broke its connection or left a transaction open never harms the next.

A job that runs past its timeout is stopped by RQ's alarm signal, as before.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections
from django_tasks_rq.backend import Job as TasksJob
from rq.worker import BaseWorker, SimpleWorker, WorkerStatus

logger = logging.getLogger(__name__)

WORKER_CLASS = "ayni.rq_worker.Worker"
JOB_CLASS = "ayni.rq_worker.Job"


class Job(TasksJob):
    """django-tasks-rq's job (it calls the Task), with the database connections closed around it."""

    def perform(self):
        close_old_connections()
        try:
            return super().perform()
        finally:
            close_old_connections()


class Worker(SimpleWorker):
    """``SimpleWorker`` (no fork per job) with heartbeats renewed from a thread while a job runs."""

    # The forking worker's: at most the monitoring interval + 60 s (SimpleWorker's is the job timeout + 60 s).
    get_heartbeat_ttl = BaseWorker.get_heartbeat_ttl

    def execute_job(self, job, queue):
        execution = self.prepare_execution(job)
        done = threading.Event()
        beats = threading.Thread(target=self._beat, args=(job, execution, done), name="ayni-rq-heartbeat", daemon=True)
        beats.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            done.set()
            beats.join()
        self.set_state(WorkerStatus.IDLE)

    def _beat(self, job, execution, done: threading.Event) -> None:
        while not done.wait(self.job_monitoring_interval):
            try:
                self.maintain_heartbeats(job, execution)
            except Exception:  # noqa: BLE001 - Redis unreachable for a moment: the next beat tries again
                logger.warning("RQ heartbeat failed for job %s", job.id, exc_info=True)
