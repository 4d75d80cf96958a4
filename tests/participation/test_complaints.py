"""Filing and following complaints: the public side."""

import datetime as dt
import logging
import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from participation import deadlines
from participation.models import Complaint, ComplaintAttachment

from .conftest import exe_bytes, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

URL = "/participa/reclamos/"
CODE_RE = re.compile(r"(RC|DN|SG)-[A-Z0-9]{5}-[A-Z0-9]{5}")


@pytest.fixture
def unit_a(municipal_unit_factory):
    """A unit of this test's own (conftest's ``officer_a`` is attached to it), not one of the demo's."""
    return municipal_unit_factory()


def _lookup(client, code, **extra):
    return client.post("/api/complaints/lookup/", {"code": code}, content_type="application/json", **extra)


def _data(the_unit, **extra):
    data = {
        "kind": "reclamo",
        "unit": the_unit.pk,
        "subject": "Basura acumulada en la esquina",
        "description": "Desde hace una semana no recogen la basura en la esquina de mi casa.",
        "submission_token": "tok-" + "a" * 20,
    }
    data.update(extra)
    return data


def test_a_complaint_gets_a_code_and_a_business_day_due_date(client, unit_a, upload):
    before = Complaint.objects.count()
    response = client.post(
        URL,
        _data(
            unit_a,
            contact_email="Vecina@Ejemplo.bo",
            notify_consent="on",
            attachments=[upload("foto.png", png_bytes()), upload("nota.pdf", pdf_bytes())],
        ),
        REMOTE_ADDR="10.1.1.1",
    )
    assert response.status_code == 201
    code = CODE_RE.search(response.content.decode()).group(0)
    complaint = Complaint.objects.get(code=code)
    assert Complaint.objects.count() == before + 1
    assert complaint.status == "recibido" and complaint.contact_email == "vecina@ejemplo.bo"
    assert complaint.due_date == deadlines.add_business_days(complaint.received_on, 10)
    assert sorted(a.content_type for a in complaint.attachments.all()) == ["application/pdf", "image/png"]
    assert all(a.file.name.startswith("reclamos/") for a in complaint.attachments.all())
    # The code is in the response only: not in a redirect URL.
    assert "Location" not in response


def test_same_form_submitted_twice_gives_one_complaint(client, unit_a):
    before = Complaint.objects.count()
    first = client.post(URL, _data(unit_a, submission_token="repetido-" + "x" * 12))
    second = client.post(URL, _data(unit_a, submission_token="repetido-" + "x" * 12))
    assert first.status_code == 201 and second.status_code == 200
    assert CODE_RE.search(first.content.decode()).group(0) == CODE_RE.search(second.content.decode()).group(0)
    assert Complaint.objects.count() == before + 1


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"subject": "x" * 151}, "no puede superar los 150 caracteres"),
        ({"description": "y" * 5001}, "no puede superar los 5000 caracteres"),
        ({"subject": ""}, "Este campo es obligatorio"),
        ({"kind": "queja"}, "Elige reclamo, denuncia o sugerencia"),
        ({"unit": 999999}, "Elige una unidad de la lista"),
        ({"anonymous": "on"}, "Solo las denuncias pueden presentarse de forma anónima"),
        ({"contact_whatsapp": "llámame"}, "Escribe el número de WhatsApp"),
        ({"notify_consent": "on"}, "indica un correo o un número de WhatsApp"),
        ({"subject": "<b></b>"}, "Este campo es obligatorio"),
    ],
)
def test_bad_input_gets_a_spanish_message_and_stores_nothing(client, unit_a, extra, message):
    before = Complaint.objects.count()
    response = client.post(URL, _data(unit_a, **extra))
    assert response.status_code == 400
    assert message.lower() in response.content.decode().lower()
    assert Complaint.objects.count() == before


def test_disguised_attachment_stores_nothing_at_all(client, unit_a, upload):
    before = (Complaint.objects.count(), ComplaintAttachment.objects.count())
    response = client.post(
        URL,
        _data(
            unit_a, attachments=[upload("foto.png", png_bytes()), upload("factura.pdf", exe_bytes(), "application/pdf")]
        ),
    )
    assert response.status_code == 400
    assert "no es de un tipo permitido" in response.content.decode()
    assert (Complaint.objects.count(), ComplaintAttachment.objects.count()) == before


def test_too_many_or_too_big_attachments(client, unit_a, upload, settings):
    files = [upload(f"f{i}.png", png_bytes()) for i in range(4)]
    response = client.post(URL, _data(unit_a, attachments=files))
    assert response.status_code == 400 and "como máximo 3 archivos" in response.content.decode()
    settings.AYNI_ATTACHMENT_MAX_BYTES = 100
    response = client.post(URL, _data(unit_a, attachments=[upload("a.pdf", pdf_bytes() + b"0" * 200)]))
    assert response.status_code == 400 and "supera el tamaño máximo" in response.content.decode()


def test_html_is_stored_as_plain_text_and_rendered_escaped(client, unit_a, officer_a):
    response = client.post(
        URL,
        _data(
            unit_a,
            subject="Luz <script>alert('x')</script>apagada",
            description="<img src=x onerror=alert(1)>Sin luz & sin agua <b>hoy</b>",
        ),
    )
    assert response.status_code == 201
    complaint = Complaint.objects.get(code=CODE_RE.search(response.content.decode()).group(0))
    assert complaint.subject == "Luz apagada"
    assert complaint.description == "Sin luz & sin agua hoy"
    client.force_login(officer_a)
    page = client.get(reverse("participation_admin:complaint", args=[complaint.pk])).content.decode()
    assert "Sin luz &amp; sin agua hoy" in page and "onerror" not in page


def test_complaints_are_rate_limited_per_client(client, unit_a, settings):
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, "complaint": (2, 600)}
    before = Complaint.objects.count()
    for n in range(2):
        assert (
            client.post(
                URL, _data(unit_a, submission_token=f"rate-{n}-" + "z" * 12), REMOTE_ADDR="10.9.9.9"
            ).status_code
            == 201
        )
    response = client.post(URL, _data(unit_a, submission_token="rate-3-" + "z" * 12), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 429 and "demasiados envíos" in response.content.decode()
    assert Complaint.objects.count() == before + 2
    assert (
        client.post(URL, _data(unit_a, submission_token="rate-4-" + "z" * 12), REMOTE_ADDR="10.9.9.8").status_code
        == 201
    )


def test_forms_need_csrf(unit_a):
    csrf_client = Client(enforce_csrf_checks=True)
    before = Complaint.objects.count()
    assert csrf_client.post(URL, _data(unit_a)).status_code == 403
    assert csrf_client.post("/participa/seguimiento/", {"codigo": "RC-22222-22222"}).status_code == 403
    assert Complaint.objects.count() == before
    assert 'name="csrfmiddlewaretoken"' in csrf_client.get(URL).content.decode()


# --- anonymity -------------------------------------------------------------------------


def test_anonymous_denuncia_keeps_no_identity_anywhere(client, unit_a, make_user, transparency, log_text, upload):
    citizen = make_user(name="Juana Denunciante")
    client.force_login(citizen)
    ip, agent = "203.0.113.77", "NavegadorDeJuana/1.0"
    with log_text() as logs:
        logging.getLogger("participation.services.complaints").info("capture-probe")
        response = client.post(
            URL,
            _data(
                unit_a,
                kind="denuncia",
                anonymous="on",
                subject="Cobro sin recibo en ventanilla",
                contact_email="juana@ejemplo.bo",
                contact_whatsapp="+59170000001",
                notify_consent="on",
                attachments=[upload("denuncia-juana.png", png_bytes())],
            ),
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=agent,
        )
    assert response.status_code == 201
    code = CODE_RE.search(response.content.decode()).group(0)
    assert code.startswith("DN-")
    complaint = Complaint.objects.get(code=code)
    identity = [ip, agent, citizen.email, citizen.username, "Juana", "juana@ejemplo.bo", "59170000001", str(citizen.pk)]
    # The row and its history hold nothing of the reporter.
    assert complaint.anonymous and complaint.user_id is None
    assert (complaint.contact_email, complaint.contact_whatsapp, complaint.notify_consent) == ("", "", False)
    row = " ".join(str(value) for value in Complaint.objects.filter(pk=complaint.pk).values().get().values())
    events = " ".join(str(v) for e in complaint.events.values() for v in e.values())
    files = " ".join(a.file.name for a in complaint.attachments.all())
    for needle in identity[:-1]:
        assert needle not in row and needle not in events and needle not in files
    assert all(e["actor_id"] is None for e in complaint.events.values())
    # Only the day is kept, not the moment it was filed.
    assert (complaint.created_at.minute, complaint.created_at.second) == (0, 0)
    # Nothing in the logs, and no mail or notification.
    assert "capture-probe" in logs.getvalue()  # the capture works
    assert "complaint filed" not in logs.getvalue()  # an anonymous filing is not even logged
    for needle in identity[:-1]:
        assert needle not in logs.getvalue()
    assert mail.outbox == []
    assert not citizen.participation_notifications.exists()
    # The session does not link the account to the case either.
    assert code not in str(dict(client.session))
    # Nor the public page, the API, or the staff screens.
    client.logout()
    public = client.post("/participa/seguimiento/", {"codigo": code}).content.decode()
    api = _lookup(client, code).content.decode()
    client.force_login(transparency)
    queue = client.get(reverse("participation_admin:queue")).content.decode()
    detail = client.get(reverse("participation_admin:complaint", args=[complaint.pk])).content.decode()
    staff_api = client.get(f"/api/complaints/staff/{complaint.pk}/").content.decode()
    assert "Anónimo" in queue and "Denuncia anónima" in detail
    for text in (public, api, queue, detail, staff_api):
        for needle in identity[:-1]:
            assert needle not in text


def test_the_database_refuses_an_anonymous_row_with_identity(unit_a, make_user):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.create(
            code="DN-22222-33333",
            kind="denuncia",
            unit=unit_a,
            subject="x",
            description="y",
            anonymous=True,
            contact_email="a@b.bo",
            received_on=dt.date.today(),
            due_date=dt.date.today(),
        )


# --- tracking -------------------------------------------------------------------------------


def _file(client, unit, **extra):
    response = client.post(URL, _data(unit, **extra))
    return Complaint.objects.get(code=CODE_RE.search(response.content.decode()).group(0))


def test_tracking_page_shows_status_due_date_and_public_history_only(client, unit_a, officer_a):
    complaint = _file(client, unit_a, subject="Poste caído en mi calle")
    from participation import services

    services.complaint_note(complaint=complaint, actor=officer_a, text="NOTA-INTERNA: el vecino es conflictivo")
    services.complaint_reply(complaint=complaint, actor=officer_a, text="Enviaremos una cuadrilla el lunes.")
    for response in (
        client.post("/participa/seguimiento/", {"codigo": complaint.code.lower()}),
        client.post("/participa/seguimiento/", {"codigo": complaint.code.replace("-", " ")}),
    ):
        page = response.content.decode()
        assert response.status_code == 200
        assert complaint.code in page and "Enviaremos una cuadrilla el lunes." in page
        assert (
            complaint.due_date.strftime("%d/%m/%Y").lstrip("0") in page
            or complaint.due_date.strftime("%-d/%m/%Y") in page
        )
        assert "NOTA-INTERNA" not in page and officer_a.username not in page
        assert "Poste caído" not in page  # the subject is not public


def test_tracking_api_returns_the_public_fields(client, unit_a, officer_a):
    complaint = _file(client, unit_a)
    from participation import services

    services.complaint_note(complaint=complaint, actor=officer_a, text="solo interno")
    data = client.post(
        "/api/complaints/lookup/", {"code": complaint.code.lower()}, content_type="application/json"
    ).json()
    assert set(data) == {"code", "status", "status_label", "due_date", "overdue", "history"}
    assert data["code"] == complaint.code and data["status"] == "recibido" and data["overdue"] is False
    assert data["due_date"] == complaint.due_date.isoformat()
    assert [item["status"] for item in data["history"]] == ["recibido"]
    assert "solo interno" not in str(data)


def test_overdue_flag(client, unit_a):
    complaint = _file(client, unit_a)
    Complaint.objects.filter(pk=complaint.pk).update(due_date=dt.date.today() - dt.timedelta(days=1))
    assert _lookup(client, complaint.code).json()["overdue"] is True
    assert "Vencido" in client.post("/participa/seguimiento/", {"codigo": complaint.code}).content.decode()
    Complaint.objects.filter(pk=complaint.pk).update(status="cerrado")
    assert _lookup(client, complaint.code).json()["overdue"] is False


@pytest.mark.parametrize(
    "code,status,message",
    [
        ("RC-22222-22222", 404, "No encontramos ningún caso"),
        ("hola", 400, "no tiene el formato correcto"),
        ("RC-OOOOO-00000", 400, "no tiene el formato correcto"),
    ],
)
def test_unknown_and_malformed_codes(client, code, status, message):
    page = client.post("/participa/seguimiento/", {"codigo": code})
    assert page.status_code == status and message in page.content.decode()
    api = _lookup(client, code)
    assert api.status_code == status and message in api.json()["detail"]


def test_guessing_codes_is_rate_limited(client, settings):
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, "tracking": (5, 600)}
    for _ in range(5):
        assert (
            client.post(
                "/api/complaints/lookup/",
                {"code": "RC-22222-22222"},
                content_type="application/json",
                REMOTE_ADDR="10.5.5.5",
            ).status_code
            == 404
        )
    assert (
        client.post(
            "/api/complaints/lookup/",
            {"code": "RC-22222-22223"},
            content_type="application/json",
            REMOTE_ADDR="10.5.5.5",
        ).status_code
        == 429
    )
    page = client.post("/participa/seguimiento/", {"codigo": "RC-22222-22224"}, REMOTE_ADDR="10.5.5.5")
    assert page.status_code == 429 and "Demasiadas consultas" in page.content.decode()
