"""POST /api/complaints/ and the demo data."""

import pytest

from participation.demo.loader import load_demo
from participation.models import Comment, Complaint, Proposal, Support

from .conftest import exe_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


def _lookup(client, code, **extra):
    return client.post("/api/complaints/lookup/", {"code": code}, content_type="application/json", **extra)


@pytest.fixture
def api_post(client, municipal_unit):
    """POST /api/complaints/ of an anonymous denuncia to a unit of its own (by slug, as the API takes it)."""
    return lambda **data: _post(client, **{"unit": municipal_unit.slug, **data})


def _post(client, **data):
    payload = {
        "kind": "denuncia",
        "subject": "Cobro sin recibo",
        "description": "Me cobraron 50 Bs sin recibo en la ventanilla de catastro.",
        "anonymous": "true",
        **data,
    }
    return client.post("/api/complaints/", payload)


def test_api_files_an_anonymous_denuncia_with_an_attachment(client, api_post, upload):
    response = api_post(attachments=upload("prueba.pdf", pdf_bytes()))
    assert response.status_code == 201
    data = response.json()
    complaint = Complaint.objects.get(code=data["code"])
    assert data["tracking_url"] == "http://testserver/participa/seguimiento/"
    assert complaint.anonymous and complaint.attachments.count() == 1
    assert _lookup(client, data["code"]).json()["status"] == "recibido"


def test_api_bad_input_is_4xx_with_spanish_messages(client, api_post, upload):
    before = Complaint.objects.count()
    assert api_post(unit="no-existe").json()["errors"]["unit"] == ["La unidad municipal no existe."]
    response = api_post(attachments=upload("x.pdf", exe_bytes()))
    assert response.status_code == 400 and "no es de un tipo permitido" in str(response.json())
    response = api_post(kind="sugerencia")
    assert response.status_code == 400 and "Solo las denuncias" in str(response.json())
    response = api_post(subject="x" * 200)
    assert response.status_code == 400 and "150 caracteres" in str(response.json())
    assert client.post("/api/complaints/", {}).status_code in (400, 422)
    assert api_post(submission_token="bad token!").status_code == 400
    assert Complaint.objects.count() == before


def test_api_idempotency_token(client, api_post):
    first = api_post(submission_token="api-token-0123456789")
    second = api_post(submission_token="api-token-0123456789")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["code"] == second.json()["code"]


def test_openapi_lists_the_participation_endpoints(client):
    paths = client.get("/api/schema/").json()["paths"]
    for path in ("/api/complaints/", "/api/complaints/lookup/", "/api/proposals/", "/api/proposals/{pk}/"):
        assert path in paths


def test_demo_has_proposals_supports_comments_and_complaints_one_overdue():
    assert Proposal.objects.filter(title="Ciclovía en la Av. Blanco Galindo", support_count=4).exists()
    assert Support.objects.count() >= 10 and Comment.objects.count() >= 3
    statuses = set(Complaint.objects.filter(submission_token__startswith="demo-").values_list("status", flat=True))
    assert {"recibido", "asignado", "en_proceso", "respondido"} <= statuses
    assert Complaint.objects.filter(submission_token__startswith="demo-").overdue().count() == 1
    anonymous = Complaint.objects.get(submission_token="demo-complaint-0003")
    assert anonymous.anonymous and anonymous.contact_email == "" and anonymous.user_id is None
    counts = (Proposal.objects.count(), Complaint.objects.count(), Support.objects.count())
    load_demo()
    assert (Proposal.objects.count(), Complaint.objects.count(), Support.objects.count()) == counts
