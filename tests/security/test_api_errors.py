"""Every error under ``/api/`` is JSON with a Spanish ``detail``, and the OpenAPI document says so.

The fuzzing run (``test_api_fuzz.py``) found Django's HTML 404 page under ``/api/``,
answers the document did not declare (401, 422…) and schema-valid values the code
refused (``page=0``). These tests pin each one down without the fuzzer.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = response.json()
    assert isinstance(data["detail"], str) and data["detail"]
    return data


@pytest.mark.parametrize(
    "path",
    [
        "/api/no-existe/",
        "/api/proposals/abc/",  # the int converter does not match: Django's own 404
        "/api/proposals/null,null/",
        "/api/complaints/staff/-1/",
        "/api/guides/no-existe-esta-guia/",
    ],
)
def test_unknown_paths_under_api_answer_json_404(client, path):
    data = _json_error(client.get(path), 404)
    assert data["detail"] in ("No encontrado.",) or "encontr" in data["detail"]


def test_pages_outside_api_keep_the_html_404(client):
    response = client.get("/no-existe-esta-pagina/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_wrong_method_is_json_405_with_allow(client):
    response = client.delete("/api/guides/")
    _json_error(response, 405)
    assert "GET" in response["Allow"]


def test_staff_endpoints_answer_json_401_in_spanish(client):
    data = _json_error(client.get("/api/complaints/staff/"), 401)
    assert "sesión" in data["detail"]
    _json_error(client.get("/api/complaints/staff/1/"), 401)


def test_validation_errors_are_422_with_spanish_messages(client):
    data = _json_error(client.get("/api/guides/", {"limit": "abc"}), 422)
    assert data["detail"] == "Datos no válidos."
    assert data["errors"][0]["loc"][-1] == "limit" and data["errors"][0]["msg"] == "Debe ser un número entero."
    data = _json_error(client.get("/api/proposals/", {"limit": 0}), 422)
    assert data["errors"][0]["msg"] == "Debe ser mayor o igual que 1."
    data = _json_error(client.post("/api/chat/", {"text": "x" * 10_000}, content_type="application/json"), 422)
    assert "como máximo" in data["errors"][0]["msg"]
    # Nothing the client sent is echoed back (pydantic's ``input``/``ctx``).
    assert set(data["errors"][0]) == {"loc", "msg", "type"}


def test_a_body_that_is_not_json_is_a_spanish_400(client):
    data = _json_error(client.post("/api/chat/", "{no es json", content_type="application/json"), 400)
    assert "JSON" in data["detail"] and "parse" not in data["detail"]


def test_nul_under_api_is_json_400(client):
    _json_error(client.get("/api/search/", {"q": "a\x00b"}), 400)


def _operations(client) -> dict:
    schema = client.get("/api/schema/").json()
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def test_openapi_declares_every_status_each_operation_answers(client):
    operations = _operations(client)
    expected = {
        "GET /api/guides/": {"200", "400", "422"},
        "GET /api/guides/{slug}/": {"200", "400", "404"},
        "POST /api/complaints/": {"200", "201", "400", "422", "429"},
        "POST /api/complaints/lookup/": {"200", "400", "404", "422", "429"},
        "GET /api/complaints/staff/": {"200", "400", "401", "422"},
        "GET /api/complaints/staff/{pk}/": {"200", "401", "403", "404"},
        "GET /api/proposals/": {"200", "400", "422"},
        "GET /api/proposals/{pk}/": {"200", "404"},
        "POST /api/chat/": {"200", "400", "422", "429"},
        "GET /api/search/": {"200", "400", "404", "422"},
        "GET /api/search/suggest/": {"200", "422"},
    }
    for name, statuses in expected.items():
        declared = set(operations[name]["responses"])
        assert statuses <= declared, (name, sorted(declared))
        for status in declared - {"200", "201"}:
            schema = operations[name]["responses"][status]["content"]["application/json"]["schema"]
            assert "$ref" in schema, (name, status)


def test_openapi_constraints_match_what_the_code_accepts(client):
    search = {p["name"]: p["schema"] for p in _operations(client)["GET /api/search/"]["parameters"]}
    assert search["page"]["minimum"] == 1
    assert "" in search["type"]["enum"] and "guide" in search["type"]["enum"]
    # ... and the code refuses exactly what the document excludes, with a reason.
    assert "La página" in _json_error(client.get("/api/search/", {"q": "a", "page": 0}), 400)["detail"]
    assert "Tipos válidos" in _json_error(client.get("/api/search/", {"type": "unicornio"}), 400)["detail"]
    assert client.get("/api/search/", {"q": "licencia", "type": ""}).status_code == 200


def test_tracking_code_pattern_matches_the_parser(client):
    import re

    from participation import codes

    operations = _operations(client)
    body = operations["POST /api/complaints/lookup/"]["requestBody"]["content"]["application/json"]["schema"]
    schema = client.get("/api/schema/").json()["components"]["schemas"][body["$ref"].rsplit("/", 1)[-1]]
    pattern = schema["properties"]["code"]["pattern"]
    for raw in ("RC-7K4MX-2Q9PA", "dn 22222 33333", "sg.abcde.fghjk", "RC7K4MX2Q9PA"):
        assert re.match(pattern, raw) and codes.normalize(raw)
    for raw in ("RC-7K4MX-2Q9P", "XX-7K4MX-2Q9PA", "RC-7K4MX-2Q9PO", "complaint"):
        assert not re.match(pattern, raw)
        with pytest.raises(codes.MalformedCode):
            codes.normalize(raw)


def test_an_unexpected_error_under_api_is_a_json_500(monkeypatch):
    from django.test import Client

    from cms import selectors

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "guide_list", broken)
    response = Client(raise_request_exception=False).get("/api/guides/")
    data = _json_error(response, 500)
    assert "boom" not in data["detail"] and "Error interno" in data["detail"]
