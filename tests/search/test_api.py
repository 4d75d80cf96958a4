import pytest

pytestmark = pytest.mark.django_db
URL = "/api/search/"


def test_results_have_the_documented_shape(client):
    response = client.get(URL, {"q": "lisencia funcionamiento"})
    assert response.status_code == 200
    data = response.json()
    assert data["query"] == "lisencia funcionamiento"
    assert data["interpreted_as"] == "licencia funcionamiento"
    assert data["page"] == 1 and data["pages"] >= 1 and data["total"] >= 2
    first = data["results"][0]
    assert set(first) == {"type", "title", "url", "slug", "snippet", "score"}
    assert first["type"] == "guide" and first["slug"] == "licencia-de-funcionamiento"
    assert first["url"] == "http://testserver/tramites/licencia-de-funcionamiento/"
    assert "<mark>" in first["snippet"] and first["score"] > 0
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)


def test_facets_count_every_type_and_type_filters(client):
    everything = client.get(URL, {"q": "licencia"}).json()
    facets = {f["type"]: f["count"] for f in everything["facets"]}
    assert facets["guide"] >= 3 and facets["regulation"] >= 1
    assert {f["label"] for f in everything["facets"]} >= {"Trámites", "Normativa"}
    regulations = client.get(URL, {"q": "licencia", "type": "regulation"}).json()
    assert regulations["type"] == "regulation"
    assert regulations["total"] == facets["regulation"]
    assert {r["type"] for r in regulations["results"]} == {"regulation"}
    assert {f["type"]: f["count"] for f in regulations["facets"]} == facets  # facets keep all types


def test_known_types_that_have_not_landed_are_accepted(client):
    from search import registry

    for name in registry.KNOWN_TYPES:
        response = client.get(URL, {"q": "licencia", "type": name})
        assert response.status_code == 200
        assert {r["type"] for r in response.json()["results"]} <= {name}


def test_pagination(client):
    first = client.get(URL, {"q": "municipal"}).json()
    assert first["total"] > 10 and first["pages"] == -(-first["total"] // 10)
    second = client.get(URL, {"q": "municipal", "page": 2}).json()
    assert second["page"] == 2
    assert not {r["url"] for r in first["results"]} & {r["url"] for r in second["results"]}


def test_empty_query_returns_the_most_visited_guides(client):
    data = client.get(URL).json()
    assert data["popular"] is True and data["query"] == ""
    assert data["results"] and {r["type"] for r in data["results"]} == {"guide"}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"q": ""}, 200),
        ({"q": "x" * 10_000}, 200),
        ({"q": "'; DROP TABLE wagtailcore_page; --"}, 200),
        ({"q": "<script>alert(1)</script> licencia"}, 200),
        ({"q": "🏠🚗 licencia 🙂"}, 200),
        ({"q": "licencia\x00funcionamiento"}, 400),  # NUL: refused before any view (ayni.middleware)
        ({"q": 'licencia" OR "1"="1'}, 200),
        ({"q": "NEAR(licencia) AND NOT * :*"}, 200),
        ({"q": "licencia", "type": "unicornio"}, 400),
        ({"q": "licencia", "page": 999}, 404),
        ({"q": "licencia", "page": 0}, 400),
        ({"q": "licencia", "page": "abc"}, 422),
    ],
)
def test_bad_input_never_gives_a_500(client, params, status):
    response = client.get(URL, params)
    assert response.status_code == status, response.content[:300]
    assert "detail" in response.json() or status == 200


def test_unknown_type_and_out_of_range_pages_explain_themselves(client):
    assert "Tipos válidos: guide, regulation" in client.get(URL, {"q": "a", "type": "zzz"}).json()["detail"]
    assert client.get(URL, {"q": "licencia", "page": 999}).json()["detail"].startswith("Página fuera de rango")


def test_reflected_text_is_escaped_in_snippets(client, make_guide):
    data = client.get(URL, {"q": "<b>licencia</b>"}).json()
    assert data["query"] == "<b>licencia</b>"  # JSON carries the text; snippets are HTML-safe
    for result in data["results"]:
        assert "<b>" not in result["snippet"]
        assert result["snippet"].replace("<mark>", "").replace("</mark>", "").count("<") == 0


def test_suggest_is_a_prefix_match_without_accents(client):
    data = client.get(URL + "suggest/", {"q": "tram"}).json()
    assert data["query"] == "tram"
    assert 1 <= len(data["suggestions"]) <= 8
    assert all("trámite" in s["title"].lower() for s in data["suggestions"])
    assert all(set(s) == {"title", "url", "type", "type_label"} for s in data["suggestions"])


def test_suggest_uses_aliases_and_several_words(client):
    titles = [s["title"] for s in client.get(URL + "suggest/", {"q": "patente de neg"}).json()["suggestions"]]
    assert titles[0] == "Licencia de funcionamiento para actividades económicas"
    lic = [s["title"] for s in client.get(URL + "suggest/", {"q": "licencia func"}).json()["suggestions"]]
    assert lic[:2] == sorted(lic[:2]) and all("funcionamiento" in t.lower() for t in lic)


def test_suggest_returns_at_most_eight(client):
    assert len(client.get(URL + "suggest/", {"q": "de"}).json()["suggestions"]) <= 8


@pytest.mark.parametrize("q", ["", "a", "x" * 10_000, "<script>", "\x00", "🙂", "%_"])
def test_suggest_bad_input(client, q):
    response = client.get(URL + "suggest/", {"q": q})
    if "\x00" in q:  # refused before any view, with a JSON error under /api/
        assert response.status_code == 400 and "NUL" in response.json()["detail"]
        return
    assert response.status_code == 200
    assert response.json()["suggestions"] == [] or q == "%_"


def test_openapi_documents_both_endpoints(client):
    paths = client.get("/api/schema/").json()["paths"]
    assert "/api/search/" in paths and "/api/search/suggest/" in paths
