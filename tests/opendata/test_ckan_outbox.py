"""The outbox and its retry rules, through the services, against HTTP stand-ins for CKAN."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from opendata import services
from opendata.ckan import services as ckan_services
from opendata.models import CkanOutbox, CkanState

pytestmark = pytest.mark.django_db


def test_bridge_off_records_nothing(dataset):
    services.dataset_unpublish(dataset=dataset)
    services.dataset_publish(dataset=dataset)
    assert not CkanOutbox.objects.exists()


def test_publishing_queues_and_coalesces(ckan_settings, dataset):
    # The ``dataset`` fixture was created before the bridge was turned on.
    dataset.title = "Nuevo título"
    services.dataset_save(dataset=dataset)
    dataset.description = "Otra descripción"
    services.dataset_save(dataset=dataset)
    entries = list(CkanOutbox.objects.all())
    assert [(e.ckan_name, e.action, e.state) for e in entries] == [("recaudacion-por-distrito", "push", "pending")]
    services.dataset_unpublish(dataset=dataset)
    assert list(CkanOutbox.objects.values_list("action", flat=True)) == ["push", "delete"]


def test_ckan_down_is_retried_with_backoff_and_error_shown(ckan_settings, dataset):
    services.dataset_publish(dataset=dataset)  # no-op (already published)…
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    now = timezone.now()
    report = ckan_services.ckan_outbox_process(now=now)
    assert report.retried == 1 and report.done == 0
    entry = CkanOutbox.objects.get()
    assert entry.state == "pending" and entry.attempts == 1
    assert entry.next_attempt_at == now + dt.timedelta(seconds=30)
    assert "CKAN no responde" in entry.last_error
    assert "CKAN no responde" in CkanState.objects.get(dataset=dataset).last_error
    # Not due yet: nothing happens.
    assert ckan_services.ckan_outbox_process(now=now + dt.timedelta(seconds=10)).skipped == 1
    ckan_services.ckan_outbox_process(now=now + dt.timedelta(seconds=31))
    entry.refresh_from_db()
    assert entry.attempts == 2 and entry.next_attempt_at == now + dt.timedelta(seconds=31 + 60)


def test_backoff_is_capped(settings):
    settings.CKAN_RETRY_BASE_SECONDS, settings.CKAN_RETRY_MAX_SECONDS = 30, 3600
    delays = [ckan_services.retry_delay(attempts=n).total_seconds() for n in range(1, 10)]
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_5xx_is_retried(ckan_settings, dataset, stub_ckan):
    ckan_settings.CKAN_URL = stub_ckan.url
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    report = ckan_services.ckan_outbox_process()
    entry = CkanOutbox.objects.get()
    assert report.retried == 1 and entry.state == "pending"
    assert "error 500" in entry.last_error
    assert stub_ckan.requests  # it really asked


def test_timeout_is_retried(ckan_settings, dataset, stub_ckan):
    ckan_settings.CKAN_URL = stub_ckan.url
    ckan_settings.CKAN_TIMEOUT_SECONDS = 0.3
    stub_ckan.mode = "sleep"
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    assert ckan_services.ckan_outbox_process().retried == 1
    assert "Timeout" in CkanOutbox.objects.get().last_error


@pytest.mark.parametrize(("mode", "message"), [("409", "That URL is already in use."), ("403", "no autorizó")])
def test_4xx_is_shown_and_not_retried(ckan_settings, dataset, stub_ckan, mode, message):
    ckan_settings.CKAN_URL = stub_ckan.url
    stub_ckan.mode = mode
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    report = ckan_services.ckan_outbox_process()
    entry = CkanOutbox.objects.get()
    assert report.failed == 1 and entry.state == "failed" and entry.attempts == 1
    assert message in entry.last_error
    assert message in CkanState.objects.get(dataset=dataset).last_error
    calls = len(stub_ckan.requests)
    ckan_services.ckan_outbox_process(now=timezone.now() + dt.timedelta(days=1))
    assert len(stub_ckan.requests) == calls  # never sent again


def test_later_changes_wait_for_an_earlier_failure(ckan_settings, dataset):
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    CkanOutbox.objects.create(dataset=dataset, ckan_name=dataset.slug, action="delete", next_attempt_at=timezone.now())
    now = timezone.now()
    report = ckan_services.ckan_outbox_process(now=now)
    assert report.retried == 1 and report.skipped == 1
    assert CkanOutbox.objects.get(action="delete").attempts == 0


def test_the_task_processes_the_outbox_after_commit(ckan_settings, dataset, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        dataset.title = "Cambio"
        services.dataset_save(dataset=dataset)
    assert [cb for cb in callbacks if cb is ckan_services._kick_worker]
    entry = CkanOutbox.objects.get()
    assert entry.attempts == 1 and "CKAN no responde" in entry.last_error  # the task ran (ImmediateBackend)


def test_ckan_sync_command_needs_the_bridge(dataset):
    with pytest.raises(CommandError, match="desactivado"):
        call_command("ckan_sync")


def test_ckan_sync_dry_run_sends_nothing(ckan_settings, dataset, stub_ckan, capsys):
    ckan_settings.CKAN_URL = stub_ckan.url
    ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    call_command("ckan_sync", "--all", "--dry-run", verbosity=0)
    assert stub_ckan.requests == []
    assert "se enviarían" in capsys.readouterr().out
