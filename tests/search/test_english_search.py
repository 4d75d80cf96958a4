"""Search under /en/ finds the English pages (issue 14 item 3), not their Spanish originals."""

import re

import pytest

pytestmark = pytest.mark.django_db


def _result_links(client, path: str) -> list[str]:
    html = client.get(path).content.decode()
    results = html.split("<main", 1)[1].split("</main>", 1)[0]
    return re.findall(r'href="(/(?:en/)?(?:tramites|normativa|noticias|transparencia)/[^"]+/)"', results)


def test_english_words_find_english_guides_only(client):
    links = _result_links(client, "/en/buscar/?q=licence")
    assert links[:1] == ["/en/tramites/operating-licence/"]
    assert "/en/tramites/operating-licence-renewal/" in links
    assert links and all(link.startswith("/en/") for link in links)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pet", "/en/tramites/pet-registration/"),
        ("budget", "/en/transparencia/budget-2025/"),
        ("rabies vaccination", "/en/noticias/rabies-vaccination-campaign/"),
        ("cadastral certificate", "/en/tramites/cadastral-certificate/"),
    ],
)
def test_english_queries_find_their_page(client, query, expected):
    assert expected in _result_links(client, f"/en/buscar/?q={query}")


def test_spanish_search_stays_spanish(client):
    links = _result_links(client, "/buscar/?q=licencia")
    assert "/tramites/licencia-de-funcionamiento/" in links
    assert not any(link.startswith("/en/") for link in links)
    assert _result_links(client, "/buscar/?q=pet") == []  # English words are not in the Spanish pages


def test_a_spanish_word_under_en_finds_the_english_translation_not_the_original(client):
    # "Derechos Reales" (the property registry) is in both versions of the cadastral certificate.
    links = _result_links(client, "/en/buscar/?q=Derechos Reales")
    assert "/en/tramites/cadastral-certificate/" in links
    assert "/tramites/certificado-catastral/" not in links


def test_an_untranslated_page_in_english_results_says_it_is_only_in_spanish(
    client, guide_page_factory, django_capture_on_commit_callbacks
):
    page = guide_page_factory(title="Permiso para kermés vecinal", slug="permiso-kermes-vecinal", live=False)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()  # indexed once published; it has no English translation
    html = client.get("/en/buscar/?q=kermés").content.decode()
    result = html.split('href="/tramites/permiso-kermes-vecinal/"', 1)
    assert len(result) == 2, "the Spanish-only guide is not among the English results"
    item = result[1].split("</li>", 1)[0]
    assert result[0].rsplit("<a", 1)[1].strip() == ""  # the attributes follow the href
    assert item.startswith(' hreflang="es" lang="es">Permiso para kermés vecinal</a>')
    assert "Only in Spanish" in item
    # An English page among the same results has no such badge, and Spanish results never do.
    assert "Solo en español" not in client.get("/buscar/?q=kermés").content.decode()
    licence = client.get("/en/buscar/?q=licence").content.decode()
    assert "/en/tramites/operating-licence/" in licence and "Only in Spanish" not in licence
