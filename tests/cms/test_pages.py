import datetime
import json
import re
from decimal import Decimal

import pytest
from wagtail.models import Page

from cms.models import (
    GuideAlias,
    GuideIndexPage,
    GuideLegalBasis,
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


def test_home_page_has_search_categories_news_and_entry_points(client, guide_page_factory, news_page_factory):
    first, second = guide_page_factory(), guide_page_factory()
    latest = [news_page_factory(date=datetime.date.today() - datetime.timedelta(days=day)) for day in (1, 2, 3)]
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es-BO">' in html
    assert 'role="search"' in html and 'action="/buscar/"' in html
    assert first.category.name in html and second.category.name in html
    assert "/participa/propuestas/" in html and "/datos/" in html
    for news in latest:  # the three latest news
        assert news.title in html


def test_guide_index_groups_by_category_and_filters(client, guide_page_factory, guide_category):
    chosen = guide_page_factory(category=guide_category, title="Permiso de prueba para radio taxi")
    other = guide_page_factory(title="Licencia de prueba para actividades económicas", online=True)
    html = client.get("/tramites/").content.decode()
    assert html.count('class="card"') == GuidePage.objects.live().filter(locale__language_code="es").count()
    html = client.get(f"/tramites/?categoria={guide_category.slug}").content.decode()
    assert html.count('class="card"') == 1
    assert chosen.title in html
    assert other.title not in html
    online = client.get("/tramites/?en_linea=1").content.decode()
    online_guides = GuidePage.objects.live().filter(online=True, locale__language_code="es")
    assert online.count('class="card"') == online_guides.count()


@pytest.fixture
def full_guide(guide_page_factory, office_factory, regulation_page_factory):
    law = regulation_page_factory(
        title="Ley Municipal de prueba de actividades económicas",
        reg_type=RegulationPage.RegulationType.MUNICIPAL_LAW,
    )
    page = guide_page_factory(
        office=office_factory(address="Calle Sucre 123", hours="Lunes a viernes de 08:30 a 16:30"),
        cost_amount=Decimal("50.00"),
        cost_text="Bs 50 por formulario; la patente anual depende de la categoría",
        duration_days=3,
        online=True,
        online_url="https://tramites.ejemplo.bo/licencia",
        alternative_names=[GuideAlias(name="patente de negocio")],
        legal_basis=[GuideLegalBasis(regulation=law)],
    )
    page.tags.add("negocios")
    page.save_revision().publish()
    page.law = law
    return page


def test_guide_page_renders_every_typed_field(client, full_guide):
    page = GuidePage.objects.get(pk=full_guide.pk)
    response = client.get(page.url)
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
    assert full_guide.law.url in html
    assert "negocios" in html
    assert "¿Te fue útil?" in html


def test_guide_without_fixed_cost_is_not_called_free(client, guide_page_factory):
    page = guide_page_factory(cost_amount=None, cost_text="Se calcula según la superficie")
    html = client.get(page.url).content.decode()
    assert "Se calcula según la superficie" in html
    assert "Gratuito" not in html


def test_guide_page_embeds_government_service_jsonld(client, guide_page_factory, office_factory):
    page = guide_page_factory(
        title="Certificado catastral de prueba",
        cost_amount=Decimal("120.00"),
        office=office_factory(name="Dirección de prueba de Administración Territorial"),
        alternative_names=[GuideAlias(name="catastro")],
    )
    data = _jsonld(client.get(page.url).content.decode())
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "GovernmentService"
    assert data["name"].startswith("Certificado catastral")
    assert data["url"].endswith(page.url)
    assert data["offers"]["priceCurrency"] == "BOB" and data["offers"]["price"] == "120.00"
    assert data["availableChannel"][0]["name"] == "Dirección de prueba de Administración Territorial"
    assert "catastro" in data["alternateName"]


def test_jsonld_cannot_break_out_of_its_script_tag(client, admin_user, guide_page):
    page = GuidePage.objects.get(pk=guide_page.pk)
    page.summary = "</script><script>alert(1)</script>"
    page.save_revision().publish()
    html = client.get(page.url).content.decode()
    assert "<script>alert(1)" not in html
    assert _jsonld(html)["description"] == page.summary


def test_regulation_index_filters_by_type_and_year(client, regulation_page_factory):
    law, constitution = RegulationPage.RegulationType.LAW, RegulationPage.RegulationType.CONSTITUTION
    for title, reg_type, year in [
        ("Ley de prueba de telecomunicaciones", law, 2011),
        ("Constitución de prueba", constitution, 2009),
        ("Ley de prueba de gobiernos municipales", law, 2010),
    ]:
        regulation_page_factory(title=title, reg_type=reg_type, date=datetime.date(year, 8, 8))
    html = client.get("/normativa/").content.decode()
    assert html.count("<tr>") - 1 == RegulationPage.objects.live().filter(locale__language_code="es").count()
    html = client.get("/normativa/?tipo=ley").content.decode()
    assert "Ley de prueba de telecomunicaciones" in html
    assert "Constitución de prueba" not in html
    html = client.get("/normativa/?anio=2011").content.decode()
    assert "Ley de prueba de telecomunicaciones" in html
    assert "Ley de prueba de gobiernos municipales" not in html
    # Bad filter values are ignored, never an error.
    assert client.get("/normativa/?tipo=<script>&anio=abcd&pagina=999").status_code == 200


def test_regulation_page(client, regulation_page_factory):
    page = regulation_page_factory(
        reg_type=RegulationPage.RegulationType.LAW, number="164", date=datetime.date(2011, 8, 8)
    )
    html = client.get(page.url).content.decode()
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


def test_news_index_and_page(client, news_page_factory):
    for day in (1, 2, 3):
        news_page_factory(date=datetime.date(2025, 3, day))
    html = client.get("/noticias/").content.decode()
    news = NewsPage.objects.live().filter(locale__language_code="es").order_by("-date")
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
    home = HomePage.objects.get(locale__language_code="es")
    assert GuideIndexPage.can_exist_under(home)
    assert not GuidePage.can_create_at(home)
    assert not RegulationPage.can_create_at(home)
    assert not NewsPage.can_create_at(GuideIndexPage.objects.get(locale__language_code="es"))
    assert {type(p.specific) for p in home.get_children()} == {
        GuideIndexPage,
        RegulationIndexPage,
        TransparencyIndexPage,
        NewsIndexPage,
    }
