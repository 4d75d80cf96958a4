"""The bridge against a real CKAN 2.11 (started by the session fixture; see opendata/ckan/dev/)."""

import uuid

import ckanapi
import pytest
import requests
from django.core.management import call_command

from opendata import services
from opendata.ckan import services as ckan_services
from opendata.models import CkanOutbox, CkanState, Dataset, file_storage
from tests.opendata.conftest import CSV_V1, CSV_V2

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def make_dataset(*, publish=True) -> Dataset:
    slug = f"ayni-test-{uuid.uuid4().hex[:10]}"
    dataset = services.dataset_create(
        title="Recaudación por distrito",
        slug=slug,
        description="Impuestos recaudados por distrito.",
        publisher="Dirección de Recaudaciones",
        tags=["impuestos", "atención ciudadana"],
        frequency="monthly",
        publish=publish,
    )
    resource = services.resource_create(dataset=dataset, slug="recaudacion", title="Recaudación")
    services.resource_version_upload(resource=resource, filename="recaudacion.csv", data=CSV_V1)
    return Dataset.objects.get(pk=dataset.pk)


def export_bytes(version) -> bytes:
    with file_storage().open(services.resource_version_export(version=version, fmt="csv"), "rb") as handle:
        return handle.read()


def sync_all() -> ckan_services.ProcessReport:
    return ckan_services.ckan_outbox_process()


def test_publish_update_resync_unpublish(real_ckan):
    dataset = make_dataset()
    report = sync_all()
    assert report.failed == 0 and report.retried == 0 and report.sent >= 1, report.errors

    package = real_ckan.action.package_show(id=dataset.slug)
    state = CkanState.objects.get(dataset=dataset)
    assert state.ckan_id == package["id"] and state.synced_version == dataset.version and not state.last_error
    assert package["title"] == "Recaudación por distrito" and package["license_id"] == "cc-by"
    assert package["notes"] == "Impuestos recaudados por distrito."
    assert sorted(t["name"] for t in package["tags"]) == ["atención ciudadana", "impuestos"]
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    assert extras["publisher_name"] == "Dirección de Recaudaciones" and extras["portal_version"] == str(dataset.version)
    assert extras["portal_url"] == f"https://portal.example.bo/datos/{dataset.slug}/"
    [remote] = package["resources"]
    version = dataset.resources.get().versions.get()
    assert remote["ayni_version"] == "1" and remote["format"] == "CSV"
    assert requests.get(remote["url"], timeout=30).content == export_bytes(version)

    # A new version of the resource: the same CKAN resource now serves v2.
    v2 = services.resource_version_upload(resource=dataset.resources.get(), filename="v2.csv", data=CSV_V2)
    assert sync_all().sent == 1
    package = real_ckan.action.package_show(id=dataset.slug)
    [remote2] = package["resources"]
    assert remote2["id"] == remote["id"] and remote2["ayni_version"] == "2"
    assert requests.get(remote2["url"], timeout=30).content == export_bytes(v2)
    assert {e["key"]: e["value"] for e in package["extras"]}["portal_version"] == str(dataset.version + 1)

    # Resync with no change: nothing is sent, CKAN is not touched.
    modified = package["metadata_modified"]
    first = ckan_services.ckan_sync(all_datasets=True)  # also sends the demo datasets, once
    assert first.failed == 0, first.errors
    report = ckan_services.ckan_sync(all_datasets=True)
    assert report.failed == 0 and report.sent == 0 and report.done == Dataset.objects.filter(is_external=False).count()
    assert CkanState.objects.get(dataset=dataset).synced_hash
    assert real_ckan.action.package_show(id=dataset.slug)["metadata_modified"] == modified
    mine = ckan_services.ckan_dataset_push(dataset=Dataset.objects.get(pk=dataset.pk))
    assert mine.sent is False and mine.actions == []

    # Unpublish: deleted in CKAN; publishing again brings it back.
    services.dataset_unpublish(dataset=Dataset.objects.get(pk=dataset.pk))
    sync_all()
    assert real_ckan.action.package_show(id=dataset.slug)["state"] == "deleted"
    services.dataset_publish(dataset=Dataset.objects.get(pk=dataset.pk))
    sync_all()
    assert real_ckan.action.package_show(id=dataset.slug)["state"] == "active"


def test_ckan_down_queues_then_delivers_everything(real_ckan, ckan_proxy, settings):
    settings.CKAN_URL = ckan_proxy.url  # the proxy is not started: CKAN is down
    dataset = make_dataset()
    services.resource_version_upload(resource=dataset.resources.get(), filename="v2.csv", data=CSV_V2)
    other = make_dataset()
    report = sync_all()
    assert report.retried == 2 and report.done == 0
    assert CkanOutbox.objects.filter(state="pending").count() == 2
    assert "CKAN no responde" in CkanState.objects.get(dataset=dataset).last_error
    with pytest.raises(ckanapi.NotFound):
        real_ckan.action.package_show(id=dataset.slug)

    ckan_proxy.start()  # CKAN is back
    call_command("ckan_sync", verbosity=0)  # an explicit sync does not wait for the backoff
    assert not CkanOutbox.objects.filter(state="pending").exists()
    for item in (dataset, other):
        assert real_ckan.action.package_show(id=item.slug)["state"] == "active"
        assert CkanState.objects.get(dataset=item).last_error == ""
    [remote] = real_ckan.action.package_show(id=dataset.slug)["resources"]
    assert remote["ayni_version"] == "2"  # the latest change arrived too


def test_validation_error_from_ckan_is_shown_and_not_retried(real_ckan, settings):
    settings.CKAN_ORGANIZATION = "no-such-organization"
    dataset = make_dataset()
    report = sync_all()
    assert report.failed == 1
    entry = CkanOutbox.objects.get(dataset=dataset)
    assert entry.state == "failed" and "Organization does not exist" in entry.last_error
    assert "Organization does not exist" in CkanState.objects.get(dataset=dataset).last_error


def test_harvest_imports_external_datasets(real_ckan, ckan_server):
    org = f"otro-{uuid.uuid4().hex[:8]}"
    real_ckan.action.organization_create(name=org, title="Otro municipio")
    name = f"presupuesto-{uuid.uuid4().hex[:8]}"
    real_ckan.action.package_create(
        name=name,
        title="Presupuesto 2024",
        owner_org=org,
        license_id="odc-odbl",
        notes="Presupuesto aprobado.",
        tags=[{"name": "presupuesto"}],
        resources=[{"name": "presupuesto.csv", "url": "https://example.org/presupuesto.csv", "format": "CSV"}],
    )
    call_command("ckan_harvest", ckan_server.url, "--organization", org, verbosity=0)
    dataset = Dataset.objects.get(slug=name)
    assert dataset.is_external and dataset.is_published and dataset.licence == "ODbL-1.0"
    assert dataset.publisher == "Otro municipio" and dataset.source_url.endswith(f"/dataset/{name}")
    [resource] = dataset.resources.all()
    assert resource.kind == "url" and resource.url == "https://example.org/presupuesto.csv"
    assert not CkanOutbox.objects.filter(dataset=dataset).exists()  # never pushed back
    call_command("ckan_harvest", ckan_server.url, "--organization", org, verbosity=0)  # idempotent
    assert Dataset.objects.filter(slug=name).count() == 1 and dataset.resources.count() == 1
