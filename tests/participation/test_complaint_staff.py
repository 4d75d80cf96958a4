"""The staff work queue: per-unit object permissions, history, public vs internal."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from ayni import notifications
from participation import services
from participation.models import Complaint, ComplaintEvent

from .conftest import pdf_bytes

pytestmark = pytest.mark.django_db


def _complaint(unit, *, kind="reclamo", anonymous=False, **extra):
    complaint, _ = services.complaint_create(
        kind=kind,
        unit=unit,
        subject=extra.pop("subject", "Luminaria apagada en la plaza"),
        description="La luminaria de la plaza no funciona desde el lunes.",
        anonymous=anonymous,
        **extra,
    )
    return complaint


def test_officers_see_only_their_units_cases(client, unit_a, unit_b, officer_a, officer_b):
    mine = _complaint(unit_a, subject="Caso de la unidad A")
    theirs = _complaint(unit_b, subject="Caso de la unidad B")
    client.force_login(officer_a)
    queue = client.get(reverse("participation_admin:queue")).content.decode()
    assert mine.code in queue and theirs.code not in queue
    assert client.get(reverse("participation_admin:complaint", args=[mine.pk])).status_code == 200
    # Another unit's case: 404 in the admin (detail, attachments, actions) and in the API.
    assert client.get(reverse("participation_admin:complaint", args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("participation_admin:complaint", args=[theirs.pk]), {"action": "note", "n-text": "hola"}
        ).status_code
        == 404
    )
    assert client.get(reverse("participation_admin:attachment", args=[theirs.pk, 1])).status_code == 404
    assert client.get(f"/api/complaints/staff/{theirs.pk}/").status_code == 404
    assert client.get(f"/api/complaints/staff/{mine.pk}/").json()["code"] == mine.code
    listed = [item["code"] for item in client.get("/api/complaints/staff/?limit=100").json()["items"]]
    assert mine.code in listed and theirs.code not in listed
    # The services refuse too, whatever the caller.
    with pytest.raises(PermissionDenied):
        services.complaint_note(complaint=theirs, actor=officer_a, text="no debería")
    assert not theirs.events.filter(kind="note").exists()


def test_denuncias_go_to_the_transparency_unit_only(client, unit_a, officer_a, transparency):
    denuncia = _complaint(unit_a, kind="denuncia", subject="Cobro irregular")
    claim = _complaint(unit_a, subject="Reclamo común de la unidad")
    client.force_login(officer_a)
    assert client.get(reverse("participation_admin:complaint", args=[denuncia.pk])).status_code == 404
    client.force_login(transparency)
    assert client.get(reverse("participation_admin:complaint", args=[denuncia.pk])).status_code == 200
    assert client.get(reverse("participation_admin:complaint", args=[claim.pk])).status_code == 404


def test_citizens_and_anonymous_visitors_get_no_queue(client, make_user, unit_a):
    complaint = _complaint(unit_a)
    assert client.get(f"/api/complaints/staff/{complaint.pk}/").status_code == 401
    response = client.get(reverse("participation_admin:queue"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.force_login(make_user())
    assert client.get(reverse("participation_admin:complaint", args=[complaint.pk])).status_code in (302, 403)
    assert client.get(f"/api/complaints/staff/{complaint.pk}/").status_code == 403


def test_queue_filters_by_unit_status_and_overdue(client, unit_a, make_user, unit_b):
    officer = make_user(groups=("Oficiales de reclamos",), units=(unit_a, unit_b))
    late = _complaint(unit_a, subject="Caso vencido")
    Complaint.objects.filter(pk=late.pk).update(due_date=dt.date.today() - dt.timedelta(days=2))
    fresh = _complaint(unit_b, subject="Caso al día")
    client.force_login(officer)
    url = reverse("participation_admin:queue")
    overdue = client.get(url, {"vencidos": "1"}).content.decode()
    assert late.code in overdue and fresh.code not in overdue
    by_unit = client.get(url, {"unidad": unit_b.slug}).content.decode()
    assert fresh.code in by_unit and late.code not in by_unit
    services.complaint_change_status(complaint=fresh, actor=officer, status="en_proceso")
    by_status = client.get(url, {"estado": "en_proceso"}).content.decode()
    assert fresh.code in by_status and late.code not in by_status


def test_assign_reply_note_and_status_are_recorded_with_who_and_when(
    client, unit_a, officer_a, django_capture_on_commit_callbacks
):
    complaint = _complaint(unit_a, contact_email="vecino@ejemplo.bo", notify_consent=True)
    client.force_login(officer_a)
    url = reverse("participation_admin:complaint", args=[complaint.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"action": "assign", "assignee": officer_a.pk}).status_code == 302
        assert client.post(url, {"action": "note", "n-text": "Llamar al jefe de cuadrilla"}).status_code == 302
        assert client.post(url, {"action": "reply", "r-text": "Repararemos la luminaria el jueves."}).status_code == 302
        assert client.post(url, {"action": "status", "s-status": "respondido", "s-text": ""}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "respondido" and complaint.assigned_to == officer_a and complaint.closed_at
    events = list(complaint.events.order_by("pk").values_list("kind", "public", "actor_id"))
    assert events == [
        ("created", True, None),
        ("assigned", False, officer_a.pk),
        ("status", True, officer_a.pk),
        ("note", False, officer_a.pk),
        ("reply", True, officer_a.pk),
        ("status", True, officer_a.pk),
    ]
    # The complainant is told of the public changes (assignment, reply, answer) in one message
    # when the grouping window closes, never of the note.
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notification_groups_flush(now=timezone.now() + notifications.group_window())
    sent = [m for m in mail.outbox if m.to == ["vecino@ejemplo.bo"]]
    assert len(sent) == 1 and complaint.code in sent[0].subject
    assert "Llamar al jefe" not in sent[0].body
    assert "3 novedades" in sent[0].body and "Repararemos la luminaria el jueves." in sent[0].body
    history = client.get(url).content.decode()
    assert "Llamar al jefe de cuadrilla" in history and "interno" in history


def test_a_public_reply_sets_the_status_in_the_same_step(client, unit_a, officer_a, django_capture_on_commit_callbacks):
    complaint = _complaint(unit_a, contact_email="vecina@ejemplo.bo", notify_consent=True)
    client.force_login(officer_a)
    url = reverse("participation_admin:complaint", args=[complaint.pk])
    # The reply form proposes "respondido" for an open case.
    form = client.get(url).content.decode().split('name="r-status"')[1].split("</select>")[0]
    assert '<option value="respondido" selected>' in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "reply", "r-text": "Cambiamos la luminaria.", "r-status": "cerrado"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == "cerrado" and complaint.closed_at
    events = list(complaint.events.order_by("pk").values_list("kind", "status_from", "status_to", "text"))
    assert events[1:] == [("reply", "", "", "Cambiamos la luminaria."), ("status", "recibido", "cerrado", "")]
    # A closed case proposes no change; an unknown status is refused and records nothing.
    assert '<option value="" selected>' in client.get(url).content.decode().split('name="r-status"')[1]
    refused = client.post(url, {"action": "reply", "r-text": "Otra cosa", "r-status": "inventado"})
    assert refused.status_code == 400 and refused.content.decode().count("Elige un estado válido.") == 1
    assert complaint.events.count() == 3
    # Wagtail's message area says it once (the page did not repeat it).
    done = client.post(url, {"action": "note", "n-text": "Revisado en terreno."}, follow=True).content.decode()
    assert done.count("Cambio guardado.") == 1
    # The complainant gets one message with the answer and the new status.
    with django_capture_on_commit_callbacks(execute=True):
        notifications.notification_groups_flush(now=timezone.now() + notifications.group_window())
    sent = [m for m in mail.outbox if m.to == ["vecina@ejemplo.bo"] and "Novedades" in m.subject]
    assert len(sent) == 1 and "Cambiamos la luminaria." in sent[0].body and "cerrado" in sent[0].body


def test_rejecting_needs_a_public_reason_and_bad_actions_are_4xx(client, unit_a, officer_a):
    complaint = _complaint(unit_a)
    client.force_login(officer_a)
    url = reverse("participation_admin:complaint", args=[complaint.pk])
    response = client.post(url, {"action": "status", "s-status": "rechazado", "s-text": ""})
    assert response.status_code == 400 and "por qué se rechaza" in response.content.decode()
    assert client.post(url, {"action": "status", "s-status": "inventado"}).status_code == 400
    assert client.post(url, {"action": "borrar"}).status_code == 400
    assert client.post(url, {"action": "assign", "assignee": "999999"}).status_code == 400
    assert ComplaintEvent.objects.filter(complaint=complaint).count() == 1


def test_officers_cannot_assign_to_someone_outside_the_unit(unit_a, officer_a, officer_b):
    complaint = _complaint(unit_a)
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.complaint_assign(complaint=complaint, actor=officer_a, assignee=officer_b)


def test_attachments_download_only_for_staff_of_the_case(client, unit_a, officer_a, officer_b, upload):
    complaint = _complaint(unit_a, attachments=[upload("nota.pdf", pdf_bytes())])
    attachment = complaint.attachments.get()
    url = reverse("participation_admin:attachment", args=[complaint.pk, attachment.pk])
    client.force_login(officer_a)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    client.force_login(officer_b)
    assert client.get(url).status_code == 404
