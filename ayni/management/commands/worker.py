"""``manage.py worker``: the task worker, plus the periodic jobs of ayni.schedule.

Runs the worker of the configured task backend (``db_worker`` for the database
queue, ``rqworker`` for Redis) and, in background threads, enqueues the
registered periodic jobs when they are due and runs the registered polls (e.g.
splitting the WhatsApp webhook's recorded deliveries into messages) every
second or so. Nobody registers them by hand. Tasks a dead worker left running
go back to the queue through one of those jobs (``ayni.stale_tasks``).

With Redis, a worker started while Redis is down waits for it (retrying with
backoff, one log line per try) instead of exiting, and starts again if Redis
goes away while RQ registers itself; once running, RQ itself retries a lost
connection. The database polls (the webhook's deliveries) go on meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from ayni import health, rq_worker, schedule, warmup

logger = logging.getLogger(__name__)

# django-tasks-rq's jobs only run with its own job class (a plain rq Job cannot call a django_tasks Task);
# ayni.rq_worker's subclass also closes the job's database connections, and its worker runs the jobs
# in this process (no fork per job) with the forking worker's heartbeats.
RQ_JOB_CLASS = rq_worker.JOB_CLASS
RQ_WORKER_CLASS = rq_worker.WORKER_CLASS
RQ_OPTIONS = ("--job-class", RQ_JOB_CLASS, "--worker-class", RQ_WORKER_CLASS)


class Command(BaseCommand):
    help = "Procesa la cola de tareas y encola las tareas periódicas (purgas, conjunto de datos semanal, CKAN)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--tick", type=int, default=60, help="Segundos entre revisiones de las tareas periódicas (defecto 60)."
        )
        parser.add_argument("--no-schedule", action="store_true", help="Solo procesar la cola, sin tareas periódicas.")
        parser.add_argument("--backend", default="default", help="Alias del backend de tareas (defecto: default).")
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Encolar lo que toque, procesar la cola y terminar (p. ej. desde cron).",
        )

    def handle(self, *args, tick=60, no_schedule=False, batch=False, backend="default", **options):
        rq = settings.TASKS[backend]["BACKEND"].startswith("django_tasks_rq")
        if batch:
            if not no_schedule:
                enqueued = schedule.tick()
                self.stdout.write(f"Encoladas: {', '.join(enqueued) or 'ninguna'}")
                schedule.poll_once()
            call_command("rqworker", "default", "--burst", *RQ_OPTIONS) if rq else call_command(
                "db_worker", "--batch", "--backend", backend
            )
            return
        took = warmup.run()  # the replies' indexes and caches, before the first task
        if took:
            self.stdout.write("Preparado: " + ", ".join(f"{name} ({ms:.0f} ms)" for name, ms in took.items()))
        if not no_schedule:
            names = ", ".join(job.name for job in schedule.jobs()) or "ninguna"
            self.stdout.write(f"Tareas periódicas: {names} (revisión cada {tick} s).")
            stop = threading.Event()
            thread = threading.Thread(target=self._loop, args=(stop, tick), name="ayni-schedule", daemon=True)
            thread.start()
            if schedule.polls():
                threading.Thread(target=self._poll, args=(stop,), name="ayni-polls", daemon=True).start()
        if rq:
            self._rq_until_stopped()
        else:
            call_command("db_worker", "--backend", backend)

    def _rq_until_stopped(self) -> None:
        """Run RQ's worker; while Redis cannot be reached, wait for it instead of exiting."""
        while True:
            _wait_for_redis()
            try:
                call_command("rqworker", "default", "--with-scheduler", *RQ_OPTIONS)
                return
            except SystemExit as exc:  # django-rq exits 1 when Redis is lost while the worker starts
                if exc.code in (0, None) or _redis_reachable():
                    raise
                logger.warning("Redis se perdió al iniciar el trabajador de la cola; se reintenta.")

    def _loop(self, stop: threading.Event, tick: int) -> None:
        while not stop.is_set():
            try:
                enqueued = schedule.tick()
                if enqueued:
                    self.stdout.write(f"Encoladas: {', '.join(enqueued)}")
            finally:
                close_old_connections()
            stop.wait(tick)

    def _poll(self, stop: threading.Event) -> None:
        last: dict[str, float] = {}
        pause = min(poll.every for poll in schedule.polls())
        while not stop.is_set():
            schedule.poll_once(last=last)  # logs and survives a failing poll; closes its connections
            stop.wait(pause)


def _redis_reachable() -> bool:
    return health.redis_status()["ok"]


def _wait_for_redis(first: float = 0.5, longest: float = 30.0) -> None:
    """Return once Redis answers; wait between tries with backoff (0.5 s doubling up to 30 s)."""
    pause = first
    while not _redis_reachable():
        logger.warning("Redis no responde; nuevo intento en %.1f s.", pause)
        time.sleep(pause)
        pause = min(pause * 2, longest)
