"""Editors' picks (search promotions) and the zero-result report."""

import pytest
from django.contrib.auth import get_user_model
from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from search.models import ZeroResultQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def promotion(guide_page_factory):
    page = guide_page_factory(title="Pago del impuesto a la propiedad de bienes inmuebles", slug="pago-impuesto-prueba")
    return SearchPromotion.objects.create(
        query=Query.get("impuestos"), page=page, description="Pague en línea con su código de inmueble.", sort_order=0
    )


def test_a_promoted_page_is_shown_first_on_the_page_and_in_the_api(client, promotion):
    html = client.get("/buscar/", {"q": "Impuestos"}).content.decode()
    assert html.index("Recomendado") < html.index('<p role="status">')
    assert "Pague en línea con su código de inmueble." in html
    data = client.get("/api/search/", {"q": "impuestos"}).json()
    assert data["promotions"] == [
        {
            "title": "Pago del impuesto a la propiedad de bienes inmuebles",
            "url": "http://testserver/tramites/pago-impuesto-prueba/",
            "description": "Pague en línea con su código de inmueble.",
        }
    ]


def test_promotions_match_without_accents_and_after_typo_correction(client, promotion):
    assert client.get("/api/search/", {"q": "ímpuestos"}).json()["promotions"]
    assert client.get("/api/search/", {"q": "impuestso"}).json()["promotions"]


def test_unpublished_promoted_pages_are_not_shown(client, promotion):
    promotion.page.unpublish()
    assert client.get("/api/search/", {"q": "impuestos"}).json()["promotions"] == []


def test_zero_result_queries_are_counted(client, settings):
    settings.AYNI_SEARCH_QUERY_FLUSH_EVERY = 1  # hand every search to the worker at once (immediate in tests)
    client.get("/buscar/", {"q": "Karaoke nocturno"})
    client.get("/api/search/", {"q": "karaoke   NOCTURNO"})
    client.get("/api/search/", {"q": "karaoke nocturno", "page": 1})
    entry = ZeroResultQuery.objects.get(query="karaoke nocturno")
    assert entry.count == 3 and entry.example == "karaoke nocturno"
    client.get("/api/search/", {"q": "licencia"})
    assert not ZeroResultQuery.objects.filter(query="licencia").exists()
    assert Query.objects.get(query_string="licencia").hits == 1  # Wagtail's search terms report


def test_empty_queries_are_not_logged(client):
    client.get("/buscar/", {"q": "   "})
    client.get("/api/search/", {"q": "🙂"})
    assert ZeroResultQuery.objects.count() == 0


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("editora", "editora@example.com", "x")
    client.force_login(user)
    return client


def test_the_admin_report_lists_queries_with_counts(admin_client):
    ZeroResultQuery.objects.create(query="fumigacion", example="fumigación", count=7)
    ZeroResultQuery.objects.create(query="baile", example="baile", count=2)
    response = admin_client.get("/admin/zero_result_queries/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Búsquedas sin resultados" in html
    assert html.index("fumigación") < html.index("baile")
    assert ">7<" in html.replace(" ", "").replace("\n", "")


def test_the_report_is_read_only_but_can_be_cleared(admin_client):
    entry = ZeroResultQuery.objects.create(query="fumigacion", example="fumigación", count=7)
    assert admin_client.get("/admin/zero_result_queries/new/").status_code in (302, 403)
    assert admin_client.get(f"/admin/zero_result_queries/edit/{entry.pk}/").status_code in (302, 403)
    assert admin_client.post(f"/admin/zero_result_queries/delete/{entry.pk}/").status_code == 302
    assert not ZeroResultQuery.objects.exists()


def test_promotions_admin_is_available(admin_client):
    assert admin_client.get("/admin/searchpicks/").status_code == 200
