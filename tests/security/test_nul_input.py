"""NUL characters and odd search syntax get a clear 4xx, never a 500 (issue 9).

Before: ``DataError: PostgreSQL text fields cannot contain NUL`` for a NUL in a
search or a filter, and an FTS5 syntax error for ``/datos/?q="`` on SQLite.
Run on SQLite and on PostgreSQL (``DATABASE_URL=postgres://…``).
"""

from __future__ import annotations

import pytest

from chatbot.models import ChatExchange

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rasa(rasa_down):
    """Answers come from the fallback, on the test's thread."""


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/datos/", "q"),
        ("/datos/", "tema"),
        ("/datos/", "etiqueta"),
        ("/tramites/", "categoria"),
        ("/participa/propuestas/", "categoria"),
        ("/participa/propuestas/", "distrito"),
        ("/buscar/", "q"),
    ],
)
@pytest.mark.parametrize("value", ["\x00", "agua\x00", "\x00' OR 1=1"])
def test_a_nul_in_the_query_string_is_a_spanish_400(client, path, param, value):
    response = client.get(path, {param: value})
    assert response.status_code == 400
    assert "no permitido" in response.content.decode()


def test_a_nul_under_api_is_a_json_400(client):
    response = client.get("/api/search/", {"q": "agua\x00"})
    assert response.status_code == 400
    assert "no permitido" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/datos/%00/", "/tramites/a%00b/", "/participa/propuestas/%00"])
def test_a_nul_in_the_path_is_a_400(client, path):
    assert client.get(path).status_code == 400


def test_a_nul_in_a_form_field_is_a_400(client):
    response = client.post("/cuentas/ingresar/", {"login": "vecina\x00@example.org", "password": "x"})
    assert response.status_code == 400
    response = client.post("/cuentas/registro/", {"email": "a@example.org", "name": "Ana\x00"})
    assert response.status_code == 400


def test_ordinary_requests_pass(client):
    assert client.get("/datos/", {"q": "agua potable"}).status_code == 200
    assert client.get("/tramites/").status_code == 200


@pytest.mark.parametrize("query", ['"', 'agua"', '"agua', 'agua " potable', '""', "agua ' \"pot", "NEAR(", "a:b OR"])
def test_odd_quoting_in_the_open_data_search_is_not_a_500(client, query):
    assert client.get("/datos/", {"q": query}).status_code == 200


@pytest.mark.parametrize("text", ["hola\x00 catastro", "\x00", "cuanto cuesta el catastro\ud800"])
def test_chat_text_with_nul_or_lone_surrogates_never_reaches_the_database_raw(client, text):
    import json

    body = json.dumps({"text": text}).encode()
    response = client.post("/api/chat/", data=body, content_type="application/json")
    assert response.status_code < 500
    for exchange in ChatExchange.objects.all():
        assert "\x00" not in exchange.text
        exchange.text.encode("utf-8")


def test_chat_service_strips_nul():
    from chatbot.services import chat_message_answer

    answer = chat_message_answer(sender="s", text="cuanto cuesta\x00 el catastro", channel="api")
    assert answer["replies"]
    assert "\x00" not in ChatExchange.objects.latest("created_at").text
