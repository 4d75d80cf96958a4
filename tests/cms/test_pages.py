import json
import re

import pytest
from wagtail.models import Page

from cms.models import (
    GuideIndexPage,
    GuidePage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    RegulationIndexPage,
    RegulationPage,
    TransparencyIndexPage,
    TransparencyPage,
)

pytestmark = pytest.mark.django_db


def _jsonld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD in the page"
    return json.loads(match.group(1))


def test_home_page_has_search_categories_news_and_entry_points(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es-BO">' in html
    assert 'role="search"' in html and 'action="/buscar/"' in html
    assert "Actividades Económicas" in html and "Territorio y Catastro" in html
    assert "/participa/propuestas/" in html and "/datos/" in html
    for news in NewsPage.objects.live()[:3]:
        assert news.title in html


def test_guide_index_groups_by_category_and_filters(client):
    html = client.get("/tramites/").content.decode()
    assert html.count('class="card"') == GuidePage.objects.live().count()
    html = client.get("/tramites/?categoria=movilidad").content.decode()
    assert "Permiso para empresas de radio taxi" in html or "radio" in html.lower()
    assert "Licencia de funcionamiento para actividades económicas" not in html
    online = client.get("/tramites/?en_linea=1").content.decode()
    assert online.count('class="card"') == GuidePage.objects.live().filter(online=True).count()


def test_guide_page_renders_every_typed_field(client):
    page = GuidePage.objects.get(slug="licencia-de-funcionamiento")
    response = client.get("/tramites/licencia-de-funcionamiento/")
    html = response.content.decode()
    assert response.status_code == 200
    for requirement in page.requirements.all():
        assert requirement.text in html
    for step in page.steps.all():
        assert step.text in html
    for alias in page.alternative_names.all():
        assert alias.name in html
    assert "Bs 50" in html and page.cost_text in html
    assert "3 días hábiles" in html
    assert page.office.name in html and page.office.hours in html and page.office.address in html
    assert "hacer el trámite en línea" in html
    assert "Ley Municipal Autónoma" in html  # legal basis links to the regulation
    assert "/normativa/lma-217-2016/" in html
    assert "negocios" in html
    assert "¿Te fue útil?" in html


def test_guide_without_fixed_cost_is_not_called_free(client):
    html = client.get("/tramites/permiso-de-construccion/").content.decode()
    assert "Se calcula según la superficie" in html
    assert "Gratuito" not in html


def test_guide_page_embeds_government_service_jsonld(client):
    data = _jsonld(client.get("/tramites/certificado-catastral/").content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "GovernmentService"
    assert data["name"].startswith("Certificado catastral")
    assert data["url"].endswith("/tramites/certificado-catastral/")
    assert data["offers"]["priceCurrency"] == "BOB" and data["offers"]["price"] == "120.00"
    assert data["availableChannel"][0]["name"] == "Dirección de Administración Territorial y Catastral"
    assert "catastro" in data["alternateName"]


def test_jsonld_cannot_break_out_of_its_script_tag(client, admin_user):
    page = GuidePage.objects.get(slug="registro-de-mascotas")
    page.summary = "</script><script>alert(1)</script>"
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "<script>alert(1)" not in html
    assert _jsonld(html)["description"] == page.summary


def test_regulation_index_filters_by_type_and_year(client):
    html = client.get("/normativa/").content.decode()
    assert html.count("<tr>") - 1 == RegulationPage.objects.live().count()
    html = client.get("/normativa/?tipo=ley").content.decode()
    assert "Ley General de Telecomunicaciones" in html
    assert "Constitución Política del Estado" not in html
    html = client.get("/normativa/?anio=2011").content.decode()
    assert "Ley General de Telecomunicaciones" in html
    assert "Ley de Gobiernos Autónomos Municipales" not in html
    # Bad filter values are ignored, never an error.
    assert client.get("/normativa/?tipo=<script>&anio=abcd&pagina=999").status_code == 200


def test_regulation_page(client):
    html = client.get("/normativa/ley-164-2011/").content.decode()
    assert "Ley N° 164" in html and "Vigente" in html and "2011-08-08" in html


def test_transparency_pages_each_have_a_document(client):
    pages = TransparencyPage.objects.live()
    assert pages.count() >= 4
    assert {p.category for p in pages} == set(TransparencyPage.Category.values)
    for page in pages:
        assert page.documents.count() >= 1
        html = client.get(page.url).content.decode()
        document = page.documents.first().document
        assert document.url in html
        assert document.file.read(5) == b"%PDF-"
    html = client.get("/transparencia/?categoria=planes").content.decode()
    assert "POA" in html and "Presupuesto institucional" not in html


def test_news_index_and_page(client):
    html = client.get("/noticias/").content.decode()
    news = NewsPage.objects.live().order_by("-date")
    assert news.count() >= 3
    assert html.index(news[0].title) < html.index(news[1].title)
    assert client.get(news[0].url).status_code == 200


def test_unknown_page_is_a_spanish_404(client):
    response = client.get("/tramites/no-existe/")
    assert response.status_code == 404
    assert "No encontramos esta página" in response.content.decode()
    assert client.get("/no/existe/nada/").status_code == 404


def test_page_tree_shape_is_enforced():
    assert GuidePage.parent_page_types == ["cms.GuideIndexPage"]
    assert not GuideIndexPage.can_create_at(Page.get_first_root_node())
    home = HomePage.objects.get()
    assert GuideIndexPage.can_exist_under(home)
    assert not GuidePage.can_create_at(home)
    assert not RegulationPage.can_create_at(home)
    assert not NewsPage.can_create_at(GuideIndexPage.objects.get())
    assert {type(p.specific) for p in home.get_children()} == {
        GuideIndexPage,
        RegulationIndexPage,
        TransparencyIndexPage,
        NewsIndexPage,
    }
