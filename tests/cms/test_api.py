import pytest

from cms.models import GuidePage

pytestmark = pytest.mark.django_db


def test_guide_list(client):
    response = client.get("/api/guides/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == GuidePage.objects.live().count() == 17
    item = next(i for i in data["items"] if i["slug"] == "registro-de-mascotas")
    assert set(item) == {"slug", "title", "category", "url", "updated_at"}
    assert item["url"] == "http://testserver/tramites/registro-de-mascotas/"
    assert item["category"] == "Servicios Municipales"


def test_guide_list_filters_and_paginates(client):
    online = client.get("/api/guides/?online=true").json()
    assert online["count"] == GuidePage.objects.live().filter(online=True).count()
    page = client.get("/api/guides/?limit=5&offset=15").json()
    assert len(page["items"]) == 2
    assert client.get("/api/guides/?category=movilidad").json()["count"] == 3


def test_guide_detail_has_every_typed_field(client):
    data = client.get("/api/guides/licencia-de-funcionamiento/").json()
    assert data["title"] == "Licencia de funcionamiento para actividades económicas"
    assert data["requirements"][0] == {
        "text": "Fotocopia de la cédula de identidad del titular o representante legal",
        "note": "",
    }
    assert len(data["requirements"]) == 6
    assert data["cost"] == {
        "amount_bs": "50.00",
        "text": "Bs 50 por formulario; la patente anual depende de la categoría y la superficie",
    }
    assert data["duration"]["business_days"] == 3
    assert data["office"]["name"] == "Plataforma de Atención Ciudadana de la Subalcaldía de su distrito"
    assert data["office"]["hours"] == "Lunes a viernes de 08:30 a 16:30"
    assert data["online"]["available"] is True and data["online"]["url"].startswith("https://")
    assert data["steps"][0].startswith("Registrarse en la Plataforma 24/7")
    assert "patente de negocio" in data["aliases"]
    assert data["legal_basis"][0]["slug"] == "lma-217-2016"
    assert data["legal_basis"][0]["url"].endswith("/normativa/lma-217-2016/")
    assert data["tags"] == ["comercio", "negocios", "patentes"]
    assert data["url"] == "http://testserver/tramites/licencia-de-funcionamiento/"


def test_editor_change_is_what_the_api_says(client):
    page = GuidePage.objects.get(slug="registro-de-mascotas")
    requirements = list(page.requirements.all())
    requirements[0].text = "Carnet de vacunación antirrábica vigente"
    page.requirements = requirements
    page.save_revision().publish()
    data = client.get("/api/guides/registro-de-mascotas/").json()
    assert data["requirements"][0]["text"] == "Carnet de vacunación antirrábica vigente"


def test_unknown_or_unpublished_guide_is_a_json_404(client):
    response = client.get("/api/guides/no-existe/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}
    GuidePage.objects.get(slug="compra-de-nicho").unpublish()
    assert client.get("/api/guides/compra-de-nicho/").status_code == 404


def test_openapi_document_lists_the_project_endpoints(client):
    schema = client.get("/api/schema/").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/guides/" in schema["paths"]
    assert "/api/guides/{slug}/" in schema["paths"]


def test_wagtail_api_v2(client):
    data = client.get("/api/v2/pages/?type=cms.GuidePage&fields=summary").json()
    assert data["meta"]["total_count"] == 17
    assert "summary" in data["items"][0]


def test_health_reports_database(client, settings, admin_user):
    settings.REDIS_URL = ""
    client.force_login(admin_user)  # the details are for staff (tests/security/test_health.py)
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["checks"]["database"]["ok"] is True
    assert "redis" not in response.json()["checks"]


def test_health_reports_redis_when_configured(client, settings, admin_user):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(admin_user)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"]["ok"] is False
