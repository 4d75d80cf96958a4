"""Staff publish datasets and upload versions from the Wagtail admin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from opendata.models import CkanState, Dataset, Resource, ResourceVersion
from tests.opendata.conftest import CSV_V2

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, django_user_model):
    user = django_user_model.objects.create_superuser("editora", "editora@example.bo", "clave-segura-123")
    client.force_login(user)
    return client


def dataset_form(**overrides):
    data = {
        "title": "Licencias de funcionamiento",
        "slug": "licencias-de-funcionamiento",
        "description": "Licencias emitidas por mes.",
        "status": "published",
        "publisher": "Dirección de Recaudaciones",
        "licence": "CC-BY-4.0",
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "frequency": "monthly",
        "theme": "ECON",
        "tags": "licencias, comercio",
        "contact_name": "",
        "contact_email": "",
    }
    data.update(overrides)
    return data


def test_create_dataset_through_the_admin(staff):
    response = staff.post("/admin/opendata_datasets/new/", dataset_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    dataset = Dataset.objects.get(slug="licencias-de-funcionamiento")
    assert dataset.is_published and dataset.published_at is not None
    assert sorted(t.name for t in dataset.tags.all()) == ["comercio", "licencias"]


def test_invalid_dataset_shows_spanish_message(staff):
    response = staff.post("/admin/opendata_datasets/new/", dataset_form(temporal_end="2023-01-01"))
    assert response.status_code == 200
    assert "La cobertura termina antes de empezar." in response.content.decode()
    assert not Dataset.objects.filter(slug="licencias-de-funcionamiento").exists()


def resource_form(dataset, upload=None, **overrides):
    data = {
        "dataset": dataset.pk,
        "slug": "recaudacion",
        "title": "Recaudación",
        "description": "",
        "kind": "file",
        "url": "",
        "url_format": "",
        "sheet": "",
        "sort_order": 1,
    }
    if upload is not None:
        data["upload"] = upload
    data.update(overrides)
    return data


def test_upload_new_version_through_the_admin(staff, version):
    resource = version.resource
    response = staff.post(
        f"/admin/opendata_resources/edit/{resource.pk}/",
        resource_form(resource.dataset, SimpleUploadedFile("v2.csv", CSV_V2, content_type="text/csv")),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(resource.versions.order_by("number").values_list("number", "row_count")) == [(1, 3), (2, 4)]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("vacio.csv", b"", "está vac"),  # Django: "El archivo enviado está vació."
        ("roto.csv", b"a,b\n1,2\n3\n", "La fila 3 tiene 1 columnas"),
        ("libro.xlsm", b"PK\x03\x04", "macros"),
    ],
)
def test_bad_upload_in_the_admin_stores_nothing(staff, dataset, name, data, message):
    response = staff.post("/admin/opendata_resources/new/", resource_form(dataset, SimpleUploadedFile(name, data)))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Resource.objects.filter(dataset=dataset).exists()
    assert not ResourceVersion.objects.filter(resource__dataset=dataset).exists()


def test_upload_over_the_limit_in_the_admin(staff, dataset, settings):
    settings.OPENDATA_MAX_UPLOAD_MB = 1
    upload = SimpleUploadedFile("grande.csv", b"a\n" + b"1\n" * 600_000)
    response = staff.post("/admin/opendata_resources/new/", resource_form(dataset, upload))
    assert "el máximo permitido es 1 MB" in response.content.decode()
    assert not Resource.objects.filter(dataset=dataset).exists()


def test_admin_shows_ckan_state_and_errors(staff, dataset, settings):
    settings.CKAN_URL = "http://127.0.0.1:9"
    CkanState.objects.create(
        dataset=dataset, ckan_id="0b3f-ckan-id", synced_version=3, last_error="CKAN rechazó los datos: name: en uso"
    )
    listing = staff.get("/admin/opendata_datasets/").content.decode()
    assert "Id en CKAN" in listing and "0b3f-ckan-id" in listing and "CKAN rechazó los datos" in listing
    edit = staff.get(f"/admin/opendata_datasets/edit/{dataset.pk}/").content.decode()
    assert "Última versión sincronizada" in edit and "0b3f-ckan-id" in edit and "name: en uso" in edit


def test_outbox_is_read_only_in_the_admin(staff):
    assert staff.get("/admin/ckan_outbox/").status_code == 200
    assert staff.get("/admin/ckan_outbox/new/").status_code in (302, 403)
