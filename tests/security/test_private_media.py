"""Files of draft datasets and of private collections are served only through views that check."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction

from opendata import services
from opendata.models import file_storage

pytestmark = pytest.mark.django_db
CSV = b"distrito,monto\n1,1500\n2,2300\n"


def _dataset(slug: str, *, publish: bool):
    dataset = services.dataset_create(title=f"Conjunto {slug}", slug=slug, publish=publish)
    resource = services.resource_create(dataset=dataset, slug="tabla", title="Tabla")
    version = services.resource_version_upload(resource=resource, filename="tabla.csv", data=CSV)
    return dataset, version


def _urls(slug: str) -> list[str]:
    return [f"/datos/{slug}/tabla.csv", f"/datos/{slug}/tabla/v1.json", f"/datos/{slug}/tabla.xlsx"]


def test_a_draft_datasets_files_are_404_for_anonymous_and_200_for_dataset_staff(client, admin_user):
    _dataset("borrador-secreto", publish=False)
    for url in _urls("borrador-secreto"):
        assert client.get(url).status_code == 404, url
    client.force_login(admin_user)
    for url in _urls("borrador-secreto"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store"
    assert b"1500" in b"".join(client.get("/datos/borrador-secreto/tabla.csv").streaming_content)


def test_staff_without_the_dataset_permission_do_not_see_drafts(client, django_user_model):
    _dataset("borrador-dos", publish=False)
    clerk = django_user_model.objects.create_user(username="clerk", password="clave-segura-123456", is_staff=True)
    client.force_login(clerk)
    assert client.get("/datos/borrador-dos/tabla.csv").status_code == 404


def test_a_published_datasets_files_are_served_and_an_unpublished_ones_stop(client):
    dataset, _version = _dataset("publicado", publish=True)
    for url in _urls("publicado"):
        assert client.get(url).status_code == 200, url
    services.dataset_unpublish(dataset=dataset)
    for url in _urls("publicado"):
        assert client.get(url).status_code == 404, url


def test_dataset_files_and_exports_live_outside_media_root(client):
    _created, version = _dataset("fuera-de-media", publish=True)
    assert client.get("/datos/fuera-de-media/tabla.csv").status_code == 200  # writes the export
    export = services.export_path(version=version, fmt="csv")
    assert file_storage() is storages["opendata_private"]
    for name in (version.source_file.name, version.table_file.name, export):
        assert file_storage().exists(name), name
        assert not default_storage.exists(name), name


def test_the_sendfile_mode_hands_the_checked_path_to_the_web_server(client, settings):
    settings.AYNI_SENDFILE = "x-accel-redirect"
    _dataset("por-nginx", publish=True)
    response = client.get("/datos/por-nginx/tabla.csv")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"].startswith("/protected/opendata/exports/")
    assert not response.content
    _dataset("borrador-nginx", publish=False)
    assert client.get("/datos/borrador-nginx/tabla.csv").status_code == 404


@pytest.fixture
def media_root(tmp_path, settings):
    """MEDIA_ROOT on disk, with a file under each prefix as a careless deployment would leave it."""
    settings.MEDIA_ROOT = str(tmp_path)
    for name in ("original_images/plaza.png", "images/plaza.max-800x600.png", "documents/acta-reservada.pdf"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 reservado" if name.endswith(".pdf") else b"\x89PNG\r\n")
    (tmp_path / "opendata" / "borrador" / "tabla" / "v1").mkdir(parents=True)
    (tmp_path / "opendata" / "borrador" / "tabla" / "v1" / "tabla.csv").write_bytes(CSV)
    return tmp_path


def test_media_serves_only_wagtail_images(client, media_root):
    assert client.get("/media/original_images/plaza.png").status_code == 200
    assert client.get("/media/images/plaza.max-800x600.png").status_code == 200
    for path in (
        "/media/documents/acta-reservada.pdf",
        "/media/opendata/borrador/tabla/v1/tabla.csv",
        "/media/images/../documents/acta-reservada.pdf",
        "/media/images/%2e%2e/documents/acta-reservada.pdf",
        "/media/original_images/../../etc/passwd",
    ):
        assert client.get(path).status_code == 404, path


@pytest.fixture
def private_document(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    collection = Collection.get_first_root_node().add_child(name="Sumarios internos")
    CollectionViewRestriction.objects.create(collection=collection, restriction_type=CollectionViewRestriction.LOGIN)
    document = get_document_model()(title="Sumario reservado", collection=collection)
    document.file.save("sumario-reservado.pdf", ContentFile(b"%PDF-1.4 sumario reservado"), save=True)
    return document


def test_a_document_in_a_private_collection_is_not_served_to_anonymous(client, admin_user, private_document):
    assert private_document.url.startswith("/documentos/")  # Wagtail's serve view, never the file URL
    response = client.get(private_document.url)
    assert response.status_code in (302, 403, 404)
    assert b"sumario reservado" not in b"".join(getattr(response, "streaming_content", [response.content]))
    assert client.get("/media/" + private_document.file.name).status_code == 404

    client.force_login(admin_user)
    response = client.get(private_document.url)
    assert response.status_code == 200
    assert b"sumario reservado" in b"".join(response.streaming_content)
    assert client.get("/media/" + private_document.file.name).status_code == 404
