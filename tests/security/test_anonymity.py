"""An anonymous denuncia stays anonymous: nothing the portal writes ties it to the filer.

The denuncia is filed through the web form and the API, then followed on the
tracking page and through the API, from a client with a recognisable address,
forwarded-for header, user agent and session. Afterwards every row the portal
wrote or changed, every log line and every e-mail is searched for those
markers and for times finer than the day.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
from django.apps import apps
from django.contrib.sessions.backends.db import SessionStore
from django.core import mail
from django.db import models
from django.utils import timezone

from participation.models import Complaint, ComplaintEvent, MunicipalUnit
from tests.participation.conftest import pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.77"
FORWARDED = "198.51.100.23"
AGENT = "Marcador-Navegador/9.9"
PHONE = "59171234567"
CODE_RE = re.compile(r"DN-[A-Z0-9]{5}-[A-Z0-9]{5}")


@pytest.fixture
def unit(db):
    return MunicipalUnit.objects.get_or_create(slug="transparencia-anon", defaults={"name": "Unidad de Transparencia"})[
        0
    ]


def _snapshot() -> dict[tuple[str, object], tuple]:
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = [f.attname for f in model._meta.concrete_fields]
        for values in model._base_manager.values_list(*fields):
            pk = values[fields.index(model._meta.pk.attname)]
            rows[(model._meta.db_table, pk)] = tuple(values)
    return rows


def _datetime_fields(table: str) -> list[int]:
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return [i for i, f in enumerate(model._meta.concrete_fields) if isinstance(f, models.DateTimeField)]
    return []


def _is_day_only(value: dt.datetime) -> bool:
    local = timezone.localtime(value)
    return (local.hour, local.minute, local.second, local.microsecond) == (12, 0, 0, 0)


def _text(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)


def test_an_anonymous_denuncia_leaves_no_trace_of_the_filer(client, unit, caplog):
    caplog.set_level(logging.DEBUG)
    session = SessionStore()
    session["django_language"] = "es"
    session.create()
    client.cookies["sessionid"] = session.session_key
    meta = {"REMOTE_ADDR": ADDRESS, "HTTP_X_FORWARDED_FOR": FORWARDED, "HTTP_USER_AGENT": AGENT}
    before = _snapshot()

    from django.core.files.uploadedfile import SimpleUploadedFile

    form = client.post(
        "/participa/reclamos/",
        {
            "kind": "denuncia",
            "anonymous": "on",
            "unit": unit.pk,
            "subject": "Cobro irregular en ventanilla",
            "description": f"Un funcionario pide dinero extra para entregar el trámite. Mi número es {PHONE}.",
            "contact_whatsapp": PHONE,
            "contact_email": "denunciante@example.bo",
            "submission_token": "anon-web-" + "x" * 16,
            "attachments": [
                SimpleUploadedFile("recibo.png", png_bytes()),
                SimpleUploadedFile("prueba.pdf", pdf_bytes()),
            ],
        },
        **meta,
    )
    assert form.status_code == 201, form.content.decode()[:500]
    web_code = CODE_RE.search(form.content.decode()).group(0)
    api = client.post(
        "/api/complaints/",
        {
            "kind": "denuncia",
            "anonymous": "true",
            "unit": unit.slug,
            "subject": "Obra pagada y no ejecutada",
            "description": "La obra de la plaza se pagó pero nunca se hizo, lo sé por mi trabajo.",
            "contact_whatsapp": PHONE,
        },
        **meta,
    )
    assert api.status_code == 201, api.content
    api_code = api.json()["code"]
    assert "?" not in api.json()["tracking_url"]

    for code in (web_code, api_code):
        assert client.post("/participa/seguimiento/", {"codigo": code}, **meta).status_code == 200
        lookup = client.post("/api/complaints/lookup/", {"code": code}, content_type="application/json", **meta)
        assert lookup.status_code == 200

    complaints = list(Complaint.objects.filter(code__in=[web_code, api_code]))
    assert len(complaints) == 2 and all(c.anonymous for c in complaints)
    for complaint in complaints:
        assert (complaint.contact_email, complaint.contact_whatsapp, complaint.user_id) == ("", "", None)
        assert PHONE not in complaint.description or complaint.description  # the text is the person's own words
        for moment in (complaint.created_at, complaint.updated_at):
            assert _is_day_only(moment)
        assert all(_is_day_only(e.created_at) for e in ComplaintEvent.objects.filter(complaint=complaint))
        for attachment in complaint.attachments.all():
            path = attachment.file.path
            import os

            assert _is_day_only(dt.datetime.fromtimestamp(os.stat(path).st_mtime, tz=dt.UTC))

    markers = [ADDRESS, FORWARDED, AGENT, session.session_key, "denunciante@example.bo"]
    after = _snapshot()
    written = {key: values for key, values in after.items() if before.get(key) != values}
    assert written, "the filing wrote nothing?"
    for (table, pk), values in written.items():
        for value in values:
            text = _text(value)
            for marker in markers:
                assert marker not in text, f"{marker!r} stored in {table} #{pk}"
            if table != Complaint._meta.db_table:
                # The phone number only survives inside the description, in the person's own words.
                assert PHONE not in text, f"phone number stored in {table} #{pk}"
        for index in _datetime_fields(table):
            moment = values[index]
            if moment is not None:
                assert _is_day_only(moment), f"{table} #{pk} keeps an exact time ({moment})"

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for marker in [*markers, PHONE, web_code, api_code]:
        assert marker not in logged, f"{marker!r} in a log line"

    for message in mail.outbox:
        content = "\n".join([message.subject, message.body, *message.to])
        for marker in [*markers, PHONE]:
            assert marker not in content


def test_the_public_author_name_never_comes_from_the_email(client, django_user_model):
    from participation.selectors import author_name

    user = django_user_model.objects.create_user("maria.quispe.mamani@example.bo", "maria.quispe.mamani@example.bo")
    assert "maria" not in author_name(user).lower()


def test_a_known_submission_token_does_not_hand_out_another_case(client, unit):
    data = {
        "kind": "reclamo",
        "unit": unit.pk,
        "subject": "Bache en la avenida",
        "description": "Un bache enorme en la avenida principal, frente al mercado.",
        "submission_token": "shared-token-" + "y" * 12,
    }
    first = client.post("/participa/reclamos/", data)
    code = re.search(r"RC-[A-Z0-9]{5}-[A-Z0-9]{5}", first.content.decode()).group(0)
    again = client.post("/participa/reclamos/", data)
    assert again.status_code == 200 and code in again.content.decode()  # a double click: same case
    other = client.post(
        "/participa/reclamos/", {**data, "subject": "Otra cosa", "description": "Quiero ver el código de otro caso."}
    )
    assert other.status_code == 400 and code not in other.content.decode()


def test_old_tracking_urls_carry_no_code_any_more(client):
    redirect = client.get("/participa/seguimiento/", {"codigo": "DN-22222-22222"})
    assert redirect.status_code == 302 and "DN-22222" not in redirect["Location"]
    gone = client.get("/api/complaints/DN-22222-22222/")
    assert gone.status_code == 405 and gone["Content-Type"].startswith("application/json")
