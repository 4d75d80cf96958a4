"""Writes of the CKAN bridge: the outbox, pushes, removals and harvesting.

A sync sends several datasets at once (``CKAN_SYNC_WORKERS`` threads sharing
one keep-alive HTTP session). The threads only talk HTTP and read files; every
database read and write stays in the calling thread (``_run_lanes``), so the
embedded SQLite sees one writer and no thread holds a connection.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from opendata.ckan import sync
from opendata.ckan.client import Ckan, CkanError, ckan_enabled, sync_workers
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
    from opendata.ckan.tasks import ckan_outbox_process_task

    try:
        ckan_outbox_process_task.enqueue()
    except Exception:  # the queue being down must not break publishing; the outbox keeps the change
        log.exception("could not enqueue the CKAN outbox task")


def _state_for(dataset: Dataset) -> CkanState:
    state, _created = CkanState.objects.get_or_create(dataset=dataset, defaults={"ckan_name": dataset.slug})
    return state


@contextmanager
def _client(ckan: Ckan | None) -> Iterator[Ckan]:
    """The caller's client, or one of our own (one keep-alive session) closed at the end."""
    if ckan is not None:
        yield ckan
        return
    with Ckan() as own:
        yield own


# ---------------------------------------------------------------- one dataset


@dataclass
class _Send:
    """A CKAN operation decided in the calling thread.

    ``send`` runs in a worker thread (HTTP and files, no database);
    ``record`` runs back in the calling thread with its result.
    """

    send: Callable[[Ckan], sync.PushResult]
    record: Callable[[sync.PushResult], None]


def _push_prepare(dataset: Dataset, *, force: bool = False) -> _Send | sync.PushResult:
    """A push of ``dataset``, or the result without HTTP when CKAN already has this content."""
    state = _state_for(dataset)
    push_plan = sync.plan(dataset, organization=settings.CKAN_ORGANIZATION)
    if not force and state.synced_hash == push_plan.fingerprint and state.ckan_id:
        return sync.PushResult(sent=False, ckan_id=state.ckan_id)

    def record(result: sync.PushResult) -> None:
        CkanState.objects.filter(pk=state.pk).update(
            ckan_id=result.ckan_id,
            ckan_name=dataset.slug,
            synced_hash=push_plan.fingerprint,
            synced_version=dataset.version,
            synced_at=timezone.now(),
            last_error="",
            last_error_at=None,
        )

    # The id recorded by the last successful push spares a package_show.
    return _Send(send=lambda ckan: sync.push(ckan, push_plan, ckan_id=state.ckan_id), record=record)


def _remove_prepare(*, ckan_name: str, dataset: Dataset | None) -> _Send:
    def record(_result: sync.PushResult) -> None:
        if dataset is not None:
            CkanState.objects.filter(dataset=dataset).update(
                synced_hash="", synced_at=timezone.now(), last_error="", last_error_at=None
            )

    return _Send(send=lambda ckan: sync.delete(ckan, ckan_name), record=record)


def ckan_dataset_push(*, dataset: Dataset, ckan: Ckan | None = None, force: bool = False, dry_run: bool = False):
    """Send ``dataset`` to CKAN unless its content hash equals the last successful sync."""
    prepared = _push_prepare(dataset, force=force)
    if isinstance(prepared, sync.PushResult):
        return prepared
    if dry_run:
        return sync.PushResult(sent=True, ckan_id=_state_for(dataset).ckan_id, actions=["dry_run"])
    with _client(ckan) as client:
        result = prepared.send(client)
    prepared.record(result)
    return result


def ckan_dataset_remove(*, ckan_name: str, dataset: Dataset | None = None, ckan: Ckan | None = None):
    prepared = _remove_prepare(ckan_name=ckan_name, dataset=dataset)
    with _client(ckan) as client:
        result = prepared.send(client)
    prepared.record(result)
    return result


def _record_dataset_error(dataset: Dataset, message: str) -> None:
    state = _state_for(dataset)
    CkanState.objects.filter(pk=state.pk).update(last_error=message, last_error_at=timezone.now())


# ------------------------------------------------------- sending in parallel

CONTINUE = "continue"  # handled without HTTP: go on with the lane
STOP = "stop"  # the rest of the lane waits (not due, taken by another worker)


def _send_in_thread(prepared: _Send, ckan: Ckan) -> sync.PushResult:
    try:
        return prepared.send(ckan)
    finally:
        connections.close_all()  # a sending thread never keeps a database connection


def _run_lanes(
    lanes: list[list],
    *,
    ckan: Ckan,
    prepare: Callable[[object], _Send | str],
    finish: Callable[[object, _Send, sync.PushResult | None, CkanError | None], bool],
    blocked: Callable[[deque], None],
) -> None:
    """Send the items of ``lanes`` with at most ``CKAN_SYNC_WORKERS`` HTTP operations in flight.

    A lane's items go one after the other, in order (the changes of one CKAN
    package); lanes run side by side. ``prepare`` and ``finish`` (database
    work) run here, in the calling thread; only ``_Send.send`` runs in the
    pool. ``finish`` returns whether the lane goes on; when it does not (or
    ``prepare`` says STOP: then with the stopped item), ``blocked`` gets what is left of the lane.
    """
    workers = sync_workers()
    waiting = deque(deque(lane) for lane in lanes if lane)
    in_flight: dict[Future, tuple[object, _Send, deque]] = {}

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ckan-sync") as pool:

        def advance(lane: deque) -> None:
            while lane:
                item = lane.popleft()
                prepared = prepare(item)
                if prepared == CONTINUE:
                    continue
                if prepared == STOP:
                    lane.appendleft(item)
                    blocked(lane)
                    return
                in_flight[pool.submit(_send_in_thread, prepared, ckan)] = (item, prepared, lane)
                return

        while waiting or in_flight:
            while waiting and len(in_flight) < workers:
                advance(waiting.popleft())
            if not in_flight:
                continue
            done, _running = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                item, prepared, lane = in_flight.pop(future)
                try:
                    result, error = future.result(), None
                except CkanError as exc:
                    result, error = None, exc
                if finish(item, prepared, result, error):
                    if lane:
                        waiting.appendleft(lane)  # its next change goes before new lanes
                else:
                    blocked(lane)


# ------------------------------------------------------------------ the outbox


def _lease() -> timedelta:
    """How long a worker owns an outbox entry it is sending (a dead worker's entries come back after it)."""
    return timedelta(seconds=max(600.0, 20 * settings.CKAN_TIMEOUT_SECONDS))


def ckan_outbox_process(*, limit: int = 200, now: datetime | None = None, ckan: Ckan | None = None) -> ProcessReport:
    """Send due outbox entries; retry 5xx/timeouts with backoff, never retry 4xx.

    Entries of one CKAN package go in order (a failure holds back the later
    ones); different packages go in parallel. An entry is claimed by moving its
    ``next_attempt_at`` a lease ahead (a conditional update), so two workers
    never send the same change and a crashed worker's entry is retried later.
    """
    report = ProcessReport()
    if not ckan_enabled():
        return report
    now = now or timezone.now()
    pending = CkanOutbox.objects.filter(state=CkanOutbox.State.PENDING)
    lanes: dict[str, list[CkanOutbox]] = {}
    for entry in pending.order_by("created_at", "pk")[:limit]:
        lanes.setdefault(entry.ckan_name, []).append(entry)

    def prepare(entry: CkanOutbox) -> _Send | str:
        if entry.next_attempt_at > now:
            return STOP  # keep per-package order: later changes wait for this one
        claimed = CkanOutbox.objects.filter(
            pk=entry.pk, state=CkanOutbox.State.PENDING, next_attempt_at=entry.next_attempt_at
        ).update(next_attempt_at=timezone.now() + _lease())
        if not claimed:
            return STOP  # another worker took it (or it changed since we read it)
        entry.refresh_from_db()
        entry.attempts += 1
        try:
            if entry.action == CkanOutbox.Action.PUSH:
                dataset = entry.dataset
                if dataset is None or not dataset.is_published or dataset.is_external:
                    _entry_done(entry, sync.PushResult(sent=False), report)  # nothing to send any more
                    return CONTINUE
                prepared = _push_prepare(dataset)
                if isinstance(prepared, sync.PushResult):
                    _entry_done(entry, prepared, report)
                    return CONTINUE
                return prepared
            return _remove_prepare(ckan_name=entry.ckan_name, dataset=entry.dataset)
        except BaseException:
            # Preparing failed here (not CKAN): give the entry back for the next run.
            CkanOutbox.objects.filter(pk=entry.pk).update(next_attempt_at=entry.next_attempt_at)
            raise

    def finish(entry: CkanOutbox, prepared: _Send, result, error: CkanError | None) -> bool:
        if error is not None:
            _entry_failed(entry, error, now=now, report=report)
            return False
        prepared.record(result)
        _entry_done(entry, result, report)
        return True

    def blocked(rest: deque) -> None:
        report.skipped += len(rest)

    with _client(ckan) as client:
        _run_lanes(list(lanes.values()), ckan=client, prepare=prepare, finish=finish, blocked=blocked)
    report.next_due = pending.order_by("next_attempt_at").values_list("next_attempt_at", flat=True).first()
    return report


def _entry_done(entry: CkanOutbox, result: sync.PushResult, report: ProcessReport) -> None:
    entry.state = CkanOutbox.State.DONE
    entry.done_at = timezone.now()
    entry.last_error = ""
    entry.save(update_fields=["attempts", "last_error", "state", "done_at", "next_attempt_at"])
    report.done += 1
    report.sent += int(result.sent)


def _entry_failed(entry: CkanOutbox, exc: CkanError, *, now: datetime, report: ProcessReport) -> None:
    entry.last_error = exc.message
    if entry.dataset_id:
        _record_dataset_error(entry.dataset, exc.message)
    report.errors.append(f"{entry.ckan_name}: {exc.message}")
    if exc.transient:
        entry.next_attempt_at = now + retry_delay(attempts=entry.attempts)
        entry.save(update_fields=["attempts", "last_error", "next_attempt_at"])
        report.retried += 1
    else:
        entry.state = CkanOutbox.State.FAILED
        entry.done_at = now
        entry.save(update_fields=["attempts", "last_error", "state", "done_at", "next_attempt_at"])
        report.failed += 1


# ----------------------------------------------------------------- full sync


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

    def prepare(dataset: Dataset) -> _Send | str:
        if dataset.is_published:
            prepared = _push_prepare(dataset)
        elif getattr(dataset, "ckan", None) and dataset.ckan.synced_hash:
            prepared = _remove_prepare(ckan_name=dataset.ckan.ckan_name or dataset.slug, dataset=dataset)
        else:
            prepared = sync.PushResult(sent=False)
        if isinstance(prepared, sync.PushResult) or dry_run:
            report.done += 1
            report.sent += int(dry_run and not isinstance(prepared, sync.PushResult))
            progress(dataset)
            return CONTINUE
        return prepared

    def finish(dataset: Dataset, prepared: _Send, result, error: CkanError | None) -> bool:
        if error is not None:
            _record_dataset_error(dataset, error.message)
            report.errors.append(f"{dataset.slug}: {error.message}")
            report.failed += 1
        else:
            prepared.record(result)
            report.done += 1
            report.sent += int(result.sent)
        progress(dataset)
        return True

    datasets = Dataset.objects.filter(is_external=False).select_related("ckan").prefetch_related("tags")
    with _client(ckan) as client:
        _run_lanes(
            [[dataset] for dataset in datasets.order_by("pk")],
            ckan=client,
            prepare=prepare,
            finish=finish,
            blocked=lambda rest: None,
        )
    return report
