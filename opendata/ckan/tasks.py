"""Background work of the CKAN bridge (a thin wrapper over its services).

Apart from ``opendata.tasks`` so that the outbox, which kicks this task, never
imports the open-data tasks module (whose tasks call the write services that
use the outbox).
"""

from __future__ import annotations

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from opendata.ckan import services as ckan_services

RETRY_KEY = "opendata:ckan:retry-scheduled"


@task()
def ckan_outbox_process_task() -> dict:
    """Send the CKAN outbox; if something is waiting for a retry, come back when it is due."""
    report = ckan_services.ckan_outbox_process()
    if report.next_due is not None:
        _schedule_retry(report.next_due)
    return {"done": report.done, "retried": report.retried, "failed": report.failed, "sent": report.sent}


def _schedule_retry(when) -> None:
    backend = ckan_outbox_process_task.get_backend()
    if not backend.supports_defer:
        return  # e.g. the immediate backend of the tests: `ckan_sync` or the next change resends
    seconds = max(int((when - timezone.now()).total_seconds()), 1)
    if cache.add(RETRY_KEY, when.isoformat(), timeout=seconds):  # one scheduled retry at a time
        ckan_outbox_process_task.using(run_after=when).enqueue()
