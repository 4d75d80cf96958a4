"""Writes of the CKAN bridge: the outbox, pushes, removals and harvesting."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from opendata.ckan import sync
from opendata.ckan.client import Ckan, CkanError, ckan_enabled
from opendata.models import CkanOutbox, CkanState, Dataset

log = logging.getLogger(__name__)


@dataclass
class ProcessReport:
    done: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    sent: int = 0
    next_due: datetime | None = None
    errors: list[str] = field(default_factory=list)


def retry_delay(*, attempts: int) -> timedelta:
    """Exponential backoff: base, 2×base, 4×base… capped."""
    base = settings.CKAN_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), settings.CKAN_RETRY_MAX_SECONDS))


def ckan_outbox_enqueue(*, dataset: Dataset | None, ckan_name: str, action: str) -> CkanOutbox | None:
    """Record a change for CKAN (nothing when the bridge is off); the worker sends it after commit."""
    if not ckan_enabled():
        return None
    last = CkanOutbox.objects.filter(ckan_name=ckan_name, state=CkanOutbox.State.PENDING).order_by("-pk").first()
    if last is not None and last.action == action:
        entry = last  # coalesce: one pending push already covers this change
    else:
        entry = CkanOutbox.objects.create(
            dataset=dataset, ckan_name=ckan_name, action=action, next_attempt_at=timezone.now()
        )
    transaction.on_commit(_kick_worker)
    return entry


def _kick_worker() -> None:
    from opendata.tasks import ckan_outbox_process_task

    try:
        ckan_outbox_process_task.enqueue()
    except Exception:  # the queue being down must not break publishing; the outbox keeps the change
        log.exception("could not enqueue the CKAN outbox task")


def _state_for(dataset: Dataset) -> CkanState:
    state, _created = CkanState.objects.get_or_create(dataset=dataset, defaults={"ckan_name": dataset.slug})
    return state


def ckan_dataset_push(*, dataset: Dataset, ckan: Ckan | None = None, force: bool = False, dry_run: bool = False):
    """Send ``dataset`` to CKAN unless its content hash equals the last successful sync."""
    ckan = ckan or Ckan()
    state = _state_for(dataset)
    push_plan = sync.plan(dataset, organization=settings.CKAN_ORGANIZATION)
    if not force and state.synced_hash == push_plan.fingerprint and state.ckan_id:
        return sync.PushResult(sent=False, ckan_id=state.ckan_id)
    if dry_run:
        return sync.PushResult(sent=True, ckan_id=state.ckan_id, actions=["dry_run"])
    result = sync.push(ckan, dataset, push_plan)
    CkanState.objects.filter(pk=state.pk).update(
        ckan_id=result.ckan_id,
        ckan_name=dataset.slug,
        synced_hash=push_plan.fingerprint,
        synced_version=dataset.version,
        synced_at=timezone.now(),
        last_error="",
        last_error_at=None,
    )
    return result


def ckan_dataset_remove(*, ckan_name: str, dataset: Dataset | None = None, ckan: Ckan | None = None):
    ckan = ckan or Ckan()
    result = sync.delete(ckan, ckan_name)
    if dataset is not None:
        CkanState.objects.filter(dataset=dataset).update(
            synced_hash="", synced_at=timezone.now(), last_error="", last_error_at=None
        )
    return result


def _record_error(entry: CkanOutbox, message: str) -> None:
    if entry.dataset_id:
        state = _state_for(entry.dataset)
        CkanState.objects.filter(pk=state.pk).update(last_error=message, last_error_at=timezone.now())


def ckan_outbox_process(*, limit: int = 200, now: datetime | None = None, ckan: Ckan | None = None) -> ProcessReport:
    """Send due outbox entries in order; retry 5xx/timeouts with backoff, never retry 4xx."""
    report = ProcessReport()
    if not ckan_enabled():
        return report
    now = now or timezone.now()
    ckan = ckan or Ckan()
    blocked: set[str] = set()
    pending = CkanOutbox.objects.filter(state=CkanOutbox.State.PENDING).select_related("dataset")
    for entry in list(pending.order_by("created_at", "pk")[:limit]):
        if entry.ckan_name in blocked or entry.next_attempt_at > now:
            blocked.add(entry.ckan_name)  # keep per-dataset order: later changes wait for this one
            report.skipped += 1
            continue
        with transaction.atomic():
            locked = CkanOutbox.objects.select_for_update().filter(pk=entry.pk, state=CkanOutbox.State.PENDING).first()
            if locked is None:
                continue  # another worker took it
            ok = _process_one(locked, ckan=ckan, now=now, report=report)
        if not ok:
            blocked.add(entry.ckan_name)
    report.next_due = (
        CkanOutbox.objects.filter(state=CkanOutbox.State.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    return report


def _process_one(entry: CkanOutbox, *, ckan: Ckan, now: datetime, report: ProcessReport) -> bool:
    entry.attempts += 1
    try:
        if entry.action == CkanOutbox.Action.PUSH and entry.dataset is not None and entry.dataset.is_published:
            result = ckan_dataset_push(dataset=entry.dataset, ckan=ckan)
        elif entry.action == CkanOutbox.Action.PUSH:
            result = sync.PushResult(sent=False)  # unpublished or deleted since: nothing to send
        else:
            result = ckan_dataset_remove(ckan_name=entry.ckan_name, dataset=entry.dataset, ckan=ckan)
    except CkanError as exc:
        entry.last_error = exc.message
        _record_error(entry, exc.message)
        report.errors.append(f"{entry.ckan_name}: {exc.message}")
        if exc.transient:
            entry.next_attempt_at = now + retry_delay(attempts=entry.attempts)
            entry.save(update_fields=["attempts", "last_error", "next_attempt_at"])
            report.retried += 1
        else:
            entry.state = CkanOutbox.State.FAILED
            entry.done_at = now
            entry.save(update_fields=["attempts", "last_error", "state", "done_at"])
            report.failed += 1
        return False
    entry.state = CkanOutbox.State.DONE
    entry.done_at = timezone.now()
    entry.last_error = ""
    entry.save(update_fields=["attempts", "last_error", "state", "done_at"])
    report.done += 1
    report.sent += int(result.sent)
    return True


def ckan_sync(
    *,
    all_datasets: bool = False,
    dry_run: bool = False,
    ckan: Ckan | None = None,
    progress: Callable[[Dataset | CkanOutbox], None] | None = None,
) -> ProcessReport:
    """Bring CKAN up to date: the pending outbox, or (``all_datasets``) every portal dataset.

    Only what changed since the last successful sync is sent (content hash).
    """
    ckan = ckan or Ckan()
    progress = progress or (lambda item: None)
    report = ProcessReport()
    if not all_datasets:
        entries = list(CkanOutbox.objects.filter(state=CkanOutbox.State.PENDING).order_by("created_at", "pk"))
        if dry_run:
            for entry in entries:
                progress(entry)
                report.sent += 1
            return report
        # ``now`` far ahead: an explicit sync does not wait for the backoff.
        result = ckan_outbox_process(limit=len(entries) or 1, now=timezone.now() + timedelta(days=3650), ckan=ckan)
        for entry in entries:
            progress(entry)
        return result
    datasets = Dataset.objects.filter(is_external=False).select_related("ckan").prefetch_related("tags")
    for dataset in datasets.order_by("pk"):
        try:
            if dataset.is_published:
                result = ckan_dataset_push(dataset=dataset, ckan=ckan, dry_run=dry_run)
            elif getattr(dataset, "ckan", None) and dataset.ckan.synced_hash:
                result = (
                    sync.PushResult(sent=True)
                    if dry_run
                    else ckan_dataset_remove(
                        ckan_name=dataset.ckan.ckan_name or dataset.slug, dataset=dataset, ckan=ckan
                    )
                )
            else:
                result = sync.PushResult(sent=False)
        except CkanError as exc:
            _state = _state_for(dataset)
            CkanState.objects.filter(pk=_state.pk).update(last_error=exc.message, last_error_at=timezone.now())
            report.errors.append(f"{dataset.slug}: {exc.message}")
            report.failed += 1
        else:
            report.done += 1
            report.sent += int(result.sent)
        progress(dataset)
    return report
