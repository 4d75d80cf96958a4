"""The query budget of the main pages, so that it does not creep back.

Each page is counted on an uncached render in two states:

- **warm**: the page cache off (``AYNI_PAGE_CACHE_SECONDS=0``, as bench/pages.py
  measures an uncached guide) and the same page rendered once before, so the
  shared fragments (header, footer, head links) and Wagtail's site root paths
  come from the cache. Most uncached renders look like this (query strings,
  signed-in residents, an expired page).
- **after a publish**: the content generation has just changed (``cms.cache``),
  so the page cache misses and every fragment renders again.

A first request warms the per-process caches (content types) in both states.
The counts must not grow with the number of guides, news, regulations, reports
or datasets a page lists: the second half of this file adds items and counts
again. They are the same on SQLite and PostgreSQL (``DATABASE_URL``).
"""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.documents.models import Document
from wagtail.models import PageViewRestriction

from cms.cache import purge_page_cache
from cms.models import (
    GuideIndexPage,
    NewsIndexPage,
    NewsPage,
    PortalSettings,
    RegulationIndexPage,
    RegulationPage,
    TransparencyDocument,
    TransparencyIndexPage,
    TransparencyPage,
)
from cms.services import GuideData, guide_upsert

pytestmark = pytest.mark.django_db

GUIDE = "/tramites/licencia-de-funcionamiento/"

# url: (warm, after a publish); every page + the language switch's translation (one query)
BUDGET = {
    # site, locale, home (Wagtail's routing); view restrictions (2); the four indexes, guides, latest news
    "/": (9, 12),  # after a publish + the head links' locale
    # + the index (its type, then the page); the guides, the categories with their counts
    "/tramites/": (10, 12),
    # + the guide with its category, office and locale, then one query per relation: aliases,
    #   requirements, steps, legal basis (with the regulations), tags
    GUIDE: (14, 16),
    "/en/tramites/operating-licence/": (16, 18),  # its English translation: + its legal basis in English
    # the regulations' count, one page of them, their years
    "/normativa/": (11, 13),
    # + the guides that cite the norm
    "/normativa/ley-482-2014/": (10, 12),
    # the reports, their documents (with the files)
    "/transparencia/": (10, 12),
    "/transparencia/presupuesto-2025/": (10, 12),
    # the news' count, one page of them
    "/noticias/": (10, 12),
    "/noticias/plataforma-24-7-nuevos-tramites/": (9, 11),
    # the proposals most supported
    "/participa/": (1, 1),
    # the datasets, their tags, resources and versions; the themes and tags present
    "/datos/": (6, 6),
}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _warm(client, settings, url: str) -> int:
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    client.get(url)
    return _count(client, url)


def _after_publish(client, url: str) -> int:
    client.get(url)
    purge_page_cache()
    return _count(client, url)


@pytest.mark.parametrize("url", BUDGET)
def test_warm_uncached_page(client, settings, url):
    assert _warm(client, settings, url) == BUDGET[url][0]


@pytest.mark.parametrize("url", BUDGET)
def test_page_right_after_a_publish(client, url):
    assert _after_publish(client, url) == BUDGET[url][1]


def test_a_cached_page_costs_no_query(client):
    client.get(GUIDE)
    assert _count(client, GUIDE) == 0


def test_the_guide_page_shows_what_was_prefetched(client):
    html = client.get(GUIDE).content.decode()
    guide = (
        GuideIndexPage.objects.get(locale__language_code="es")
        .get_children()
        .get(slug="licencia-de-funcionamiento")
        .specific
    )
    assert guide.office.name in html
    assert all(item.text in html for item in guide.requirements.all())
    assert all(tag.name in html for tag in guide.tags.all())
    assert all(item.regulation.title in html for item in guide.legal_basis.all())


# --- Counts do not grow with the number of items --------------------------------------------


def _guides(count: int) -> list[str]:
    index = GuideIndexPage.objects.get(locale__language_code="es")
    slugs = []
    for i in range(count):
        data = GuideData(
            slug=f"tramite-de-prueba-{i}",
            title=f"Trámite de prueba {i}",
            summary="Un trámite más del catálogo de prueba.",
            category=f"Categoría de prueba {i % 3}",  # new categories too
            aliases=(f"alias {i}", f"otro alias {i}"),
            requirements=tuple(f"Requisito {j}" for j in range(6)),
            steps=tuple(f"Paso {j}" for j in range(4)),
            office=f"Oficina de prueba {i}",
            cost_text="Gratuito",
            duration_text="En el día",
            online=bool(i % 2),
            legal_basis=("ley-482-2014", "ley-031-2010"),
            tags=(f"etiqueta-{i}", "prueba"),
        )
        slugs.append(guide_upsert(index=index, data=data, publish=True).page.slug)
    return slugs


def _publish(parent, page):
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page


def _news(count: int) -> None:
    index = NewsIndexPage.objects.get(locale__language_code="es")
    for i in range(count):
        _publish(
            index,
            NewsPage(
                title=f"Noticia {i}",
                slug=f"noticia-{i}",
                summary="Resumen.",
                date=dt.date(2030, 1, 1 + i),
                body=f"<p>Cuerpo de la noticia {i}.</p>",
            ),
        )


def _regulations(count: int) -> None:
    index = RegulationIndexPage.objects.get(locale__language_code="es")
    for i in range(count):
        _publish(
            index,
            RegulationPage(
                title=f"Decreto de prueba {i}",
                slug=f"decreto-de-prueba-{i}",
                reg_type=RegulationPage.RegulationType.MAYORAL_DECREE,
                number=str(100 + i),
                date=dt.date(2000 + i, 5, 1),
            ),
        )


def _reports(count: int) -> None:
    index = TransparencyIndexPage.objects.get(locale__language_code="es")
    for i in range(count):
        documents = []
        for j in range(2):
            document = Document(title=f"Informe {i}-{j}")
            document.file.save(f"informe-{i}-{j}.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
            document.save()
            documents.append(TransparencyDocument(document=document, sort_order=j))
        page = TransparencyPage(
            title=f"Informe {i}",
            slug=f"informe-{i}",
            category=TransparencyPage.Category.values[i % 4],
            year=2010 + i,
            documents=documents,
        )
        _publish(index, page)


def _datasets(count: int) -> None:
    from opendata import services

    for i in range(count):
        dataset = services.dataset_create(
            title=f"Datos de prueba {i}",
            theme=["ECON", "EDUC", "HEAL"][i % 3],
            tags=[f"prueba-{i}", "prueba"],
            publish=True,
        )
        for j in range(2):
            services.resource_create(
                dataset=dataset,
                slug=f"recurso-{j}",
                kind="url",
                url=f"https://datos.example.bo/{i}/{j}.csv",
                url_format="csv",
            )


@pytest.mark.parametrize(
    ("urls", "add"),
    [
        (["/", "/tramites/", "/tramites/?categoria=categoria-de-prueba-1", "/tramites/?en_linea=1"], _guides),
        (["/", "/noticias/", "/noticias/?pagina=2"], _news),
        (["/normativa/", "/normativa/?pagina=2"], _regulations),
        (["/transparencia/"], _reports),
        (["/datos/"], _datasets),
    ],
    ids=["guides", "news", "regulations", "reports", "datasets"],
)
def test_lists_cost_the_same_whatever_their_length(client, settings, urls, add):
    before = {url: _warm(client, settings, url) for url in urls}
    add(12)
    after = {url: _warm(client, settings, url) for url in urls}
    assert after == before


def test_a_long_guide_costs_what_a_short_one_does(client, settings):
    (slug,) = _guides(1)
    assert _warm(client, settings, f"/tramites/{slug}/") == BUDGET[GUIDE][0]


def test_lists_still_leave_out_private_pages(client, settings):
    """The public filter runs inside each list's query (``cms.selectors._public``): same answer as Wagtail's."""
    slug = _guides(1)[0]
    guide = GuideIndexPage.objects.get(locale__language_code="es").get_children().get(slug=slug)
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    news = NewsPage.objects.get(slug="plataforma-24-7-nuevos-tramites")
    PageViewRestriction.objects.create(page=news.get_parent(), restriction_type=PageViewRestriction.LOGIN)
    home = client.get("/").content.decode()
    index = client.get("/tramites/").content.decode()
    assert "Trámite de prueba 0" not in home and "Trámite de prueba 0" not in index
    assert "Licencia de funcionamiento" in index  # its siblings stay
    assert news.title not in home  # every news item is under the restricted index
    assert client.get(f"/tramites/{slug}/").status_code == 302  # to the login page


# --- Cached fragments (header, footer, head links) -----------------------------------------


def test_a_signed_in_render_leaves_nothing_personal_in_the_shared_fragments(client, admin_user, settings):
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    client.force_login(admin_user)
    signed_in = client.get(GUIDE).content.decode()
    assert "Mi cuenta" in signed_in and "csrfmiddlewaretoken" in signed_in
    client.logout()
    client.cookies.clear()
    anonymous = client.get(GUIDE).content.decode()
    assert "Ingresar" in anonymous
    assert "Mi cuenta" not in anonymous and "csrfmiddlewaretoken" not in anonymous


def test_fragments_follow_the_language_and_the_settings_they_show(client, settings):
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    assert "Trámites</a>" in client.get("/").content.decode()
    assert "Procedures</a>" in client.get("/en/").content.decode()
    portal = PortalSettings.load()
    portal.phone = "800-10-9999"
    portal.save()  # staff edit the settings (cms.publishing purges the fragments)
    assert 'href="tel:800109999">800-10-9999</a>' in client.get("/").content.decode()


def test_a_publish_renders_the_head_links_again(client, settings):
    """The head links list a page's live translations: a publish (new generation) reads them again."""
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    client.get(GUIDE)
    assert _count(client, GUIDE) == BUDGET[GUIDE][0]
    purge_page_cache()
    assert _count(client, GUIDE) == BUDGET[GUIDE][1]
