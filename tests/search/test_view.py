import re

import pytest

pytestmark = pytest.mark.django_db
URL = "/buscar/"


def test_results_page_lists_highlighted_results_and_facets(client):
    response = client.get(URL, {"q": "lisencia funcionamiento"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="search"' in html and 'role="status"' in html
    assert "Mostramos resultados para «licencia funcionamiento»" in html
    assert 'href="/tramites/licencia-de-funcionamiento/"' in html
    assert "<mark>" in html
    assert re.search(r'href="\?q=lisencia%20funcionamiento&amp;tipo=guide"', html)
    assert 'aria-label="Filtrar por tipo"' in html


def test_tipo_filters_and_is_marked_current(client):
    html = client.get(URL, {"q": "licencia", "tipo": "regulation"}).content.decode()
    assert 'tipo=regulation" aria-current="true"' in html
    assert "/normativa/lma-217-2016/" in html
    assert "/tramites/licencia-de-funcionamiento/" not in html
    assert "en Normativa" in html


def test_unknown_tipo_is_a_400_with_a_message(client):
    response = client.get(URL, {"q": "licencia", "tipo": "<x>"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "No existe ese tipo de resultado" in html and "<x>" not in html


def test_reflected_query_is_escaped(client):
    html = client.get(URL, {"q": '<script>alert("x")</script> licencia'}).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


@pytest.mark.parametrize("q", ["x" * 10_000, "🙂🙂", "\x00", "' OR 1=1 --", "de la"])
def test_odd_queries_render(client, q):
    response = client.get(URL, {"q": q})
    assert response.status_code == (400 if "\x00" in q else 200)  # NUL: a clear 400, never a 500


def test_pages_out_of_range_show_the_last_page(client):
    response = client.get(URL, {"q": "municipal", "page": "9999"})
    assert response.status_code == 200
    assert 'rel="prev"' in response.content.decode()
    assert client.get(URL, {"q": "municipal", "page": "abc"}).status_code == 200


def test_pagination_links_keep_query_and_type(client):
    html = client.get(URL, {"q": "ley municipal licencia plan", "tipo": "regulation"}).content.decode()
    assert 'href="?q=ley%20municipal%20licencia%20plan&amp;tipo=regulation&amp;page=2" rel="next"' in html


def test_empty_query_shows_the_most_consulted_guides(client):
    html = client.get(URL).content.decode()
    assert "Trámites más consultados" in html and "/tramites/" in html


def test_zero_results_offer_help(client):
    html = client.get(URL, {"q": "qwxzyv"}).content.decode()
    assert "No encontramos resultados" in html and 'href="/tramites/"' in html


def test_english_interface_has_its_own_search_url(client):
    assert client.get("/en/buscar/", {"q": "licencia"}).status_code == 200


def test_header_search_box_is_a_progressive_combobox(client):
    html = client.get("/tramites/").content.decode()
    header = html[html.index("<header") : html.index("</header>")]
    assert 'action="/buscar/"' in header and 'name="q"' in header
    assert 'data-suggest-url="/api/search/suggest/"' in header
    assert 'role="listbox"' in header and 'role="status"' in header
    assert 'role="combobox"' not in header  # added by the script, so without JS it stays a plain search box
    assert "js/search.js" in html
