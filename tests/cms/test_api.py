from decimal import Decimal

import pytest

from cms.models import GuideAlias, GuideLegalBasis, GuidePage, GuideRequirement, GuideStep

pytestmark = pytest.mark.django_db


def test_guide_list(client, guide_page, guide_page_factory):
    guide_page_factory(live=False)  # a draft is not listed
    response = client.get("/api/guides/")
    assert response.status_code == 200
    data = response.json()
    assert data["count"] == GuidePage.objects.live().filter(locale__language_code="es").count()  # originals only
    item = next(i for i in data["items"] if i["slug"] == guide_page.slug)
    assert set(item) == {"slug", "title", "category", "url", "updated_at"}
    assert item["url"] == f"http://testserver/tramites/{guide_page.slug}/"
    assert item["category"] == guide_page.category.name


def test_guide_list_filters_and_paginates(client, guide_page_factory, guide_category):
    guide_page_factory(online=True, online_url="https://tramites.ejemplo.bo/")
    for _ in range(3):
        guide_page_factory(category=guide_category)
    online = client.get("/api/guides/?online=true").json()
    originals = GuidePage.objects.live().filter(locale__language_code="es")  # translations are their own pages
    assert online["count"] == originals.filter(online=True).count() >= 1
    total = originals.count()
    page = client.get(f"/api/guides/?limit=5&offset={total - 2}").json()
    assert len(page["items"]) == 2
    assert client.get(f"/api/guides/?category={guide_category.slug}").json()["count"] == 3


@pytest.fixture
def full_guide(guide_page_factory, office_factory, regulation_page):
    office = office_factory(name="Plataforma de Atención de la Subalcaldía", hours="Lunes a viernes de 08:30 a 16:30")
    page = guide_page_factory(
        title="Licencia de prueba para actividades económicas",
        office=office,
        cost_amount=Decimal("50.00"),
        cost_text="Bs 50 por formulario",
        duration_days=3,
        online=True,
        online_url="https://tramites.ejemplo.bo/licencia",
        requirements=[
            GuideRequirement(text="Fotocopia de la cédula de identidad del titular"),
            GuideRequirement(text="Croquis del local", note="A mano alzada"),
        ],
        steps=[GuideStep(text="Registrarse en la plataforma en línea"), GuideStep(text="Pagar el formulario")],
        alternative_names=[GuideAlias(name="patente de negocio")],
        legal_basis=[GuideLegalBasis(regulation=regulation_page)],
    )
    page.tags.add("patentes", "comercio", "negocios")
    page.save_revision().publish()
    return page


def test_guide_detail_has_every_typed_field(client, full_guide, regulation_page):
    data = client.get(f"/api/guides/{full_guide.slug}/").json()
    assert data["title"] == "Licencia de prueba para actividades económicas"
    assert data["requirements"][0] == {"text": "Fotocopia de la cédula de identidad del titular", "note": ""}
    assert data["requirements"][1] == {"text": "Croquis del local", "note": "A mano alzada"}
    assert len(data["requirements"]) == 2
    assert data["cost"] == {"amount_bs": "50.00", "text": "Bs 50 por formulario"}
    assert data["duration"]["business_days"] == 3
    assert data["office"]["name"] == "Plataforma de Atención de la Subalcaldía"
    assert data["office"]["hours"] == "Lunes a viernes de 08:30 a 16:30"
    assert data["online"]["available"] is True and data["online"]["url"].startswith("https://")
    assert data["steps"][0].startswith("Registrarse en la plataforma")
    assert "patente de negocio" in data["aliases"]
    assert data["legal_basis"][0]["slug"] == regulation_page.slug
    assert data["legal_basis"][0]["url"].endswith(f"/normativa/{regulation_page.slug}/")
    assert data["tags"] == ["comercio", "negocios", "patentes"]
    assert data["url"] == f"http://testserver/tramites/{full_guide.slug}/"


def test_editor_change_is_what_the_api_says(client, guide_page):
    page = GuidePage.objects.get(pk=guide_page.pk)
    requirements = list(page.requirements.all())
    requirements[0].text = "Carnet de vacunación antirrábica vigente"
    page.requirements = requirements
    page.save_revision().publish()
    data = client.get(f"/api/guides/{guide_page.slug}/").json()
    assert data["requirements"][0]["text"] == "Carnet de vacunación antirrábica vigente"


def test_unknown_or_unpublished_guide_is_a_json_404(client, guide_page):
    response = client.get("/api/guides/no-existe/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}
    assert client.get(f"/api/guides/{guide_page.slug}/").status_code == 200
    GuidePage.objects.get(pk=guide_page.pk).unpublish()
    assert client.get(f"/api/guides/{guide_page.slug}/").status_code == 404


def test_openapi_document_lists_the_project_endpoints(client):
    schema = client.get("/api/schema/").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/guides/" in schema["paths"]
    assert "/api/guides/{slug}/" in schema["paths"]


def test_wagtail_api_v2(client, guide_page, guide_page_factory):
    guide_page_factory(live=False)  # a draft is not listed
    data = client.get("/api/v2/pages/?type=cms.GuidePage&fields=summary").json()
    assert data["meta"]["total_count"] == GuidePage.objects.live().count()
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
