"""The staff listings as native Wagtail screens: filters that survive paging, search, sorting,
export, bulk actions through the services, and nothing of another unit for a case worker."""

import csv
import html
import io
import re

import pytest
from django.urls import reverse

from participation import services
from participation.models import Comment, Complaint, ComplaintEvent, ContentReport

pytestmark = pytest.mark.django_db

QUEUE = "/admin/participa/reclamos/"


def _complaint(unit, *, subject="Luminaria apagada en la plaza", **extra):
    complaint, _ = services.complaint_create(
        kind=extra.pop("kind", "reclamo"),
        unit=unit,
        subject=subject,
        description=extra.pop("description", "La luminaria de la plaza no funciona desde el lunes."),
        **extra,
    )
    return complaint


def _visible_codes(unit, **filters) -> set[str]:
    """What a case worker of ``unit`` may see (the demo municipality has cases of its own)."""
    return set(Complaint.objects.filter(unit=unit, **filters).exclude(kind="denuncia").values_list("code", flat=True))


def _codes(html: str) -> set[str]:
    return set(re.findall(r'id="complaint_\d+_title">([^<]+)<', html))


def _csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_queue_is_the_same_address_and_old_names_still_resolve():
    assert reverse("participation_admin:queue") == QUEUE
    assert reverse("participation_complaints:index") == QUEUE
    assert reverse("participation_admin:proposals") == reverse("participation_proposals:index")
    assert reverse("participation_admin:moderation") == reverse("participation_moderation:index")


def test_a_filter_survives_paging(client, unit_a, officer_a):
    chat = [_complaint(unit_a, subject=f"Caso por WhatsApp {n}", channel="whatsapp") for n in range(52)]
    web = _complaint(unit_a, subject="Caso por la web")
    client.force_login(officer_a)
    expected = _visible_codes(unit_a, channel="whatsapp")
    assert expected >= {c.code for c in chat} and 50 < len(expected) <= 100
    first = client.get(QUEUE, {"canal": "whatsapp"}).content.decode()
    assert len(_codes(first)) == 50 and web.code not in first
    # The pager's links carry the filter.
    links = re.findall(r'href="([^"]*[?&]p=2[^"]*)"', html.unescape(first))
    assert links and all("canal=whatsapp" in link for link in links)
    second = client.get(links[0]).content.decode()
    assert len(_codes(second)) == len(expected) - 50 and web.code not in second
    assert _codes(first) | _codes(second) == expected
    # The old parameter names of the hand-made queue still filter.
    assert _codes(client.get(QUEUE, {"unidad": unit_a.slug, "canal": "web"}).content.decode()) >= {web.code}


def test_filters_by_problem_type_status_overdue_and_assignee(client, unit_a, officer_a):
    import datetime as dt

    from participation.models import ProblemType

    pothole = ProblemType.objects.get(slug="bache")
    typed = _complaint(unit_a, subject="Bache en la avenida", problem_type=pothole)
    late = _complaint(unit_a, subject="Caso vencido hace días")
    Complaint.objects.filter(pk=late.pk).update(due_date=dt.date.today() - dt.timedelta(days=3))
    client.force_login(officer_a)
    assert _codes(client.get(QUEUE, {"problema": "bache"}).content.decode()) == {typed.code}
    assert _codes(client.get(QUEUE, {"vencidos": "1"}).content.decode()) == {late.code}
    services.complaint_assign(complaint=typed, actor=officer_a, assignee=officer_a)
    assert _codes(client.get(QUEUE, {"asignado": "yo"}).content.decode()) == {typed.code}
    assert typed.code not in _codes(client.get(QUEUE, {"asignado": "nadie"}).content.decode())
    assert _codes(client.get(QUEUE, {"estado": "asignado"}).content.decode()) == {typed.code}


def test_search_and_sorting(client, unit_a, officer_a):
    lamp = _complaint(unit_a, subject="Luminaria rota en la calle Sucre")
    tree = _complaint(unit_a, subject="Árbol caído sobre la vereda")
    Complaint.objects.filter(pk=tree.pk).update(due_date=lamp.due_date.replace(year=lamp.due_date.year + 1))
    client.force_login(officer_a)
    found = _codes(client.get(QUEUE, {"q": "calle sucre"}).content.decode())
    assert lamp.code in found and tree.code not in found
    assert _codes(client.get(QUEUE, {"q": tree.code}).content.decode()) == {tree.code}
    ascending = client.get(QUEUE, {"ordering": "due_date", "q": "a"}).content.decode()
    descending = client.get(QUEUE, {"ordering": "-due_date", "q": "a"}).content.decode()
    assert ascending.index(lamp.code) < ascending.index(tree.code)
    assert descending.index(tree.code) < descending.index(lamp.code)
    # Every sortable column sorts (a case worker's queryset is DISTINCT: related columns must still work).
    for key in ("code", "kind", "subject", "channel", "unit__name", "status", "assigned_to__username"):
        for ordering in (key, f"-{key}"):
            response = client.get(QUEUE, {"ordering": ordering})
            assert response.status_code == 200 and lamp.code in _codes(response.content.decode()), ordering


def test_export_holds_only_the_users_units_cases(client, unit_a, unit_b, officer_a, officer_b):
    mine = _complaint(unit_a, subject='=HYPERLINK("http://malo") caso', contact_email="vecina@ejemplo.bo")
    theirs = _complaint(unit_b, subject="Caso de movilidad")
    client.force_login(officer_a)
    response = client.get(QUEUE, {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert {row["Código"] for row in rows} == _visible_codes(unit_a) and theirs.code not in str(rows)
    assert {row["Unidad"] for row in rows} == {unit_a.name}
    row = next(row for row in rows if row["Código"] == mine.code)
    # Resident text never becomes a formula, and the contact details stay out of the file.
    assert row["Asunto"].startswith("'=") and row["Estado"] == "recibido"
    assert "vecina@ejemplo.bo" not in str(rows)
    xlsx = client.get(QUEUE, {"export": "xlsx"})
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    # The export keeps the listing's filters.
    assert _csv_rows(client.get(QUEUE, {"export": "csv", "canal": "whatsapp"})) == []
    # The other unit's case worker gets their own case only, even asking for the other unit.
    client.force_login(officer_b)
    rows = _csv_rows(client.get(QUEUE, {"export": "csv", "unidad": unit_a.slug}))
    assert mine.code not in str(rows) and {row["Código"] for row in rows} == _visible_codes(unit_b)
    assert _codes(client.get(QUEUE, {"unidad": unit_a.slug, "q": mine.code}).content.decode()) == set()


def _bulk(action: str, *complaints) -> str:
    ids = "&".join(f"id={c.pk}" for c in complaints)
    return f"/admin/bulk/participation/complaint/{action}/?{ids}&next={QUEUE}"


def test_bulk_assign_goes_through_the_service_and_records_the_history(
    client, unit_a, officer_a, make_user, django_capture_on_commit_callbacks
):
    colleague = make_user(groups=("Oficiales de reclamos",), units=(unit_a,))
    cases = [_complaint(unit_a, subject=f"Caso para asignar {n}") for n in range(3)]
    client.force_login(officer_a)
    url = _bulk("assign", *cases)
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert all(c.code in html for c in cases)
    # Nobody is preselected.
    assert "Elige a una persona" in html
    assert f'value="{colleague.pk}" selected' not in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"assignee": colleague.pk})
    assert response.status_code == 302 and response["Location"] == QUEUE
    for case in cases:
        case.refresh_from_db()
        assert case.assigned_to == colleague and case.status == "asignado"
        events = list(case.events.order_by("pk").values_list("kind", "actor_id", "text"))
        assert ("assigned", officer_a.pk, colleague.get_username()) in events
        assert case.events.filter(kind="status", status_to="asignado", actor=officer_a).exists()


def test_bulk_assign_offers_only_staff_of_the_unit(client, unit_a, officer_a, officer_b):
    case = _complaint(unit_a)
    client.force_login(officer_a)
    url = _bulk("assign", case)
    assert f'value="{officer_b.pk}"' not in client.get(url).content.decode()
    assert client.post(url, {"assignee": officer_b.pk}).status_code == 200  # the form refuses it
    case.refresh_from_db()
    assert case.assigned_to is None and not case.events.filter(kind="assigned").exists()


def test_bulk_status_change_records_each_case_and_reports_refusals(client, unit_a, officer_a):
    first, second = _complaint(unit_a, subject="Primer caso"), _complaint(unit_a, subject="Segundo caso")
    client.force_login(officer_a)
    response = client.post(_bulk("status", first, second), {"status": "en_proceso", "text": "Cuadrilla en camino."})
    assert response.status_code == 302
    for case in (first, second):
        event = case.events.get(kind="status")
        assert (event.status_from, event.status_to, event.text, event.actor) == (
            "recibido",
            "en_proceso",
            "Cuadrilla en camino.",
            officer_a,
        )
    # Rejecting needs a public reason: the service refuses, the refusal is shown, nothing changes.
    response = client.post(_bulk("status", first), {"status": "rechazado", "text": ""}, follow=True)
    assert "por qué se rechaza" in response.content.decode()
    first.refresh_from_db()
    assert first.status == "en_proceso"


def test_a_case_worker_of_another_unit_gets_nothing(client, unit_a, unit_b, officer_a, officer_b):
    case = _complaint(unit_a, subject="Caso reservado de alumbrado")
    client.force_login(officer_b)
    assert case.code not in _codes(client.get(QUEUE).content.decode())
    assert _codes(client.get(QUEUE, {"q": "reservado"}).content.decode()) == set()
    assert case.code not in str(_csv_rows(client.get(QUEUE, {"export": "csv"})))
    for action, data in (("assign", {"assignee": officer_b.pk}), ("status", {"status": "cerrado"})):
        url = _bulk(action, case)
        page = client.get(url).content.decode()
        assert case.code not in page
        client.post(url, data)
        # "Select all in listing" is the other unit's listing, not the whole table.
        client.post(f"/admin/bulk/participation/complaint/{action}/?id=all&next={QUEUE}", data)
    case.refresh_from_db()
    assert case.status == "recibido" and case.assigned_to is None
    assert list(ComplaintEvent.objects.filter(complaint=case).values_list("kind", flat=True)) == ["created"]


def test_citizens_and_moderators_get_no_queue_nor_bulk_action(client, unit_a, make_user, moderator):
    case = _complaint(unit_a)
    for user in (make_user(), moderator):
        client.force_login(user)
        assert client.get(QUEUE).status_code in (302, 403)
        assert client.get(QUEUE, {"export": "csv"}).status_code in (302, 403)
        assert client.post(_bulk("status", case), {"status": "cerrado"}).status_code in (302, 403)
    case.refresh_from_db()
    assert case.status == "recibido"


# --- proposals and moderation -------------------------------------------------------------------------


def test_every_proposal_is_reachable_page_by_page(client, make_proposal, make_user, moderator):
    author = make_user()
    proposals = [make_proposal(author=author, title=f"Propuesta número {n:02d}") for n in range(55)]
    client.force_login(moderator)
    url = reverse("participation_admin:proposals")
    first = client.get(url, {"q": "número"}).content.decode()
    second = client.get(url, {"q": "número", "p": 2}).content.decode()
    assert all(p.title in first + second for p in proposals)
    assert re.search(r'href="[^"]*q=n%C3%BAmero[^"]*p=2|href="[^"]*p=2[^"]*q=n%C3%BAmero', first)
    rows = _csv_rows(client.get(url, {"q": "número", "export": "csv"}))
    assert len(rows) == 55


def test_moderation_shows_reason_author_and_link_and_hides_in_bulk(client, make_proposal, make_user, moderator):
    proposal = make_proposal()
    author = make_user(name="Autora Rebeca")
    comment = Comment.objects.create(proposal=proposal, author=author, body="Comentario con insultos")
    quiet = Comment.objects.create(proposal=proposal, author=author, body="Comentario sin reportes")
    for reason in ("lenguaje ofensivo", "spam"):
        services.content_report(user=make_user(), comment=comment, reason=reason, client="")
    client.force_login(moderator)
    html = client.get(reverse("participation_admin:moderation")).content.decode()
    assert "Comentario con insultos" in html and quiet.body not in html
    assert "lenguaje ofensivo" in html and "spam" in html and "Autora Rebeca" in html
    assert f"{proposal.get_absolute_url()}#comentario-{comment.pk}" in html
    url = f"/admin/bulk/participation/comment/hide/?id={comment.pk}&next=/admin/"
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 302
    comment.refresh_from_db()
    assert comment.moderation == "removed"
    assert not ContentReport.objects.filter(comment=comment, resolved_at__isnull=True).exists()
    restore = f"/admin/bulk/participation/comment/restore/?id={comment.pk}&next=/admin/"
    client.post(restore)  # without a reason nothing is restored
    comment.refresh_from_db()
    assert comment.moderation == "removed"
    assert client.post(restore, {"reason": "Revisado: no insulta"}).status_code == 302
    comment.refresh_from_db()
    assert comment.moderation == "visible"
    decision = comment.moderation_decisions.last()
    assert (decision.action, decision.moderator, decision.reason) == ("restore", moderator, "Revisado: no insulta")


def test_only_moderators_moderate(client, make_proposal, make_user, officer_a):
    proposal = make_proposal()
    comment = Comment.objects.create(proposal=proposal, author=make_user(), body="Comentario reportado")
    services.content_report(user=make_user(), comment=comment, reason="spam", client="")
    client.force_login(officer_a)
    assert client.get(reverse("participation_admin:moderation")).status_code in (302, 403)
    assert client.post(f"/admin/bulk/participation/comment/hide/?id={comment.pk}").status_code in (302, 403)
    assert client.post(f"/admin/bulk/participation/proposal/hide/?id={proposal.pk}").status_code in (302, 403)
    comment.refresh_from_db()
    proposal.refresh_from_db()
    assert comment.moderation == "visible" and proposal.moderation == "visible"


# --- the chat's unanswered questions ------------------------------------------------------------------

UNANSWERED = "/admin/asistente/sin-respuesta/"


def test_unanswered_questions_report_filters_pages_and_exports(client, django_user_model):
    from datetime import timedelta

    from django.utils import timezone

    from chatbot.models import ChatExchange

    def ask(text, channel="web", times=1, days_ago=0):
        for _ in range(times):
            row = ChatExchange.objects.create(
                sender_hash="x", channel=channel, text=text, engine="rasa", answered=False
            )
            ChatExchange.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_ago))

    ask("cuanto cuesta el pasaje", times=3)
    ask("donde pago el agua", channel="whatsapp", times=2)
    ask("pregunta de hace dos meses", days_ago=60)
    for n in range(55):
        ask(f"=pregunta rara {n:02d}")
    admin = django_user_model.objects.create_superuser("jefe@ejemplo.bo", "jefe@ejemplo.bo", "clave-segura-123")
    client.force_login(admin)
    page = client.get(UNANSWERED).content.decode()
    # Most asked first; the default period is 30 days.
    assert page.index("cuanto cuesta el pasaje") < page.index("donde pago el agua")
    assert "pregunta de hace dos meses" not in page
    assert "pregunta de hace dos meses" in client.get(UNANSWERED, {"dias": "90", "q": "meses"}).content.decode()
    assert "pregunta de hace dos meses" not in client.get(UNANSWERED, {"dias": "30", "q": "meses"}).content.decode()
    whatsapp = client.get(UNANSWERED, {"canal": "whatsapp"}).content.decode()
    assert "donde pago el agua" in whatsapp and "cuanto cuesta el pasaje" not in whatsapp
    # Page 2 keeps the filter and the search.
    first = client.get(UNANSWERED, {"q": "rara", "dias": "7"}).content.decode()
    links = re.findall(r'href="([^"]*[?&]p=2[^"]*)"', html.unescape(first))
    assert links and all("q=rara" in link and "dias=7" in link for link in links)
    second = client.get(links[0]).content.decode()
    assert "pregunta rara 54" in first + second and "cuanto cuesta" not in second
    rows = _csv_rows(client.get(UNANSWERED, {"export": "csv", "q": "rara"}))
    assert len(rows) == 55 and all(row["Pregunta"].startswith("'=") for row in rows)
    rows = _csv_rows(client.get(UNANSWERED, {"export": "csv", "canal": "whatsapp"}))
    assert rows == [{"Pregunta": "donde pago el agua", "Veces": "2", "Última vez": rows[0]["Última vez"]}]


def test_unanswered_questions_report_needs_the_log_permission(client, officer_a, moderator):
    for user in (officer_a, moderator):
        client.force_login(user)
        assert client.get(UNANSWERED).status_code in (302, 403)
        assert client.get(UNANSWERED, {"export": "csv"}).status_code in (302, 403)


def test_the_detail_tells_the_history_in_words_and_preselects_nobody(client, unit_a, officer_a):
    case = _complaint(unit_a)
    services.complaint_change_status(complaint=case, actor=officer_a, status="en_proceso", text="")
    client.force_login(officer_a)
    page = client.get(reverse("participation_admin:complaint", args=[case.pk])).content.decode()
    history = page[page.index("Historial") :].split("</ol>")[0]
    assert "recibido → en proceso" in history and "en_proceso" not in history
    assert "quedan" in page or "queda 1 día" in page
    select = page[page.index('<select id="assignee"') :].split("</select>")[0]
    assert '<option value="">' in select and " selected" not in select


def test_select_all_in_listing_acts_on_the_filtered_listing_only(client, unit_a, officer_a):
    chat = [_complaint(unit_a, subject=f"Caso por chat {n}", channel="chat_web") for n in range(2)]
    web = _complaint(unit_a, subject="Caso por el formulario web")
    client.force_login(officer_a)
    url = f"/admin/bulk/participation/complaint/status/?canal=chat_web&q=por+chat&id=all&next={QUEUE}"
    assert all(c.code in client.get(url).content.decode() for c in chat)
    client.post(url, {"status": "en_proceso", "text": ""})
    assert {c.code for c in Complaint.objects.filter(status="en_proceso", unit=unit_a)} >= {c.code for c in chat}
    web.refresh_from_db()
    assert web.status == "recibido"


def test_the_admin_home_and_menu_work_for_each_role(client, officer_a, moderator, transparency):
    roles = (
        (officer_a, "Reclamos y denuncias"),
        (transparency, "Reclamos y denuncias"),
        (moderator, "Comentarios reportados"),
    )
    for user, entry in roles:
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 200 and entry in response.content.decode()
    # Each role's menu holds its own screens only.
    client.force_login(officer_a)
    assert "Comentarios reportados" not in client.get("/admin/").content.decode()
    client.force_login(moderator)
    assert "Reclamos y denuncias" not in client.get("/admin/").content.decode()


# --- role by role, every staff screen and export (per-app factories) ---------------------------------


def _xlsx_text(response) -> str:
    import zipfile

    body = b"".join(response.streaming_content) if response.streaming else response.content
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        return "".join(book.read(name).decode() for name in book.namelist() if name.startswith("xl/"))


def _body(response) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        return _xlsx_text(response)
    if response.streaming:
        return b"".join(response.streaming_content).decode("utf-8")
    return response.content.decode()


def test_every_screen_and_export_role_by_role(client):
    from tests.participation.factories import (
        CaseWorkerFactory,
        CommentFactory,
        ComplaintFactory,
        ModeratorFactory,
        MunicipalUnitFactory,
        ProposalFactory,
        TransparencyOfficerFactory,
        VerifiedCitizenFactory,
    )

    unit_x, unit_y = MunicipalUnitFactory(), MunicipalUnitFactory()
    worker_x, worker_y = CaseWorkerFactory(units=[unit_x]), CaseWorkerFactory(units=[unit_y])
    transparency, moderator, citizen = TransparencyOfficerFactory(), ModeratorFactory(), VerifiedCitizenFactory()
    case_x = ComplaintFactory(unit=unit_x, subject="Asunto reservado de la unidad X")
    denuncia_x = ComplaintFactory(unit=unit_x, kind="denuncia", anonymous=True, subject="Denuncia reservada X")
    case_y = ComplaintFactory(unit=unit_y, subject="Asunto de la unidad Y")
    comment = CommentFactory(proposal=ProposalFactory(), body="Comentario reportado de prueba")
    services.content_report(user=VerifiedCitizenFactory(), comment=comment, reason="spam", client="")

    queue_urls = [
        (QUEUE, {}),
        (QUEUE, {"q": "reservad"}),
        (QUEUE, {"unidad": unit_x.slug}),
        (QUEUE + "results/", {}),
        (QUEUE + "results/", {"unidad": unit_x.slug, "q": "reservad"}),
        (QUEUE, {"export": "csv"}),
        (QUEUE, {"export": "csv", "unidad": unit_x.slug}),
        (QUEUE, {"export": "xlsx"}),
        (QUEUE, {"export": "xlsx", "unidad": unit_x.slug}),
        (_bulk("assign", case_x, denuncia_x, case_y), {}),
        (_bulk("status", case_x, denuncia_x, case_y), {}),
    ]

    def sees(user) -> tuple[set[str], str]:
        """Which of the three cases the user finds anywhere in the queue's screens and exports."""
        client.force_login(user)
        found, seen = set(), ""
        for url, params in queue_urls:
            response = client.get(url, params)
            assert response.status_code == 200, (url, params)
            text = _body(response)
            seen += text
            found |= {c.code for c in (case_x, denuncia_x, case_y) if c.code in text}
        for case in (case_x, denuncia_x, case_y):
            status = client.get(reverse("participation_admin:complaint", args=[case.pk])).status_code
            assert status == (200 if case.code in found else 404), (user, case.code)
        return found, seen

    found, seen = sees(worker_y)
    assert found == {case_y.code}
    assert "Asunto reservado de la unidad X" not in seen and f'value="{unit_x.slug}"' not in seen  # nor its unit
    found, seen = sees(worker_x)
    assert found == {case_x.code} and "Denuncia reservada X" not in seen
    found, _ = sees(transparency)
    assert denuncia_x.code in found and case_x.code not in found and case_y.code not in found

    # Nobody without the queue's role gets any of it, nor a case's page, nor a bulk action.
    for user in (moderator, citizen):
        client.force_login(user)
        for url, params in queue_urls:
            assert client.get(url, params).status_code in (302, 403), (user, url, params)
        assert client.get(reverse("participation_admin:complaint", args=[case_x.pk])).status_code in (302, 403, 404)
        assert client.post(_bulk("status", case_x), {"status": "cerrado"}).status_code in (302, 403)
    case_x.refresh_from_db()
    assert case_x.status == "recibido"

    # Moderation and proposals: moderators only (case workers and transparency get nothing).
    moderation = reverse("participation_admin:moderation")
    proposals = reverse("participation_admin:proposals")
    moderation_urls = [
        (moderation, {}),
        (moderation + "results/", {}),
        (moderation, {"export": "csv"}),
        (moderation, {"export": "xlsx"}),
        (proposals, {}),
        (proposals + "results/", {}),
        (proposals, {"export": "csv"}),
        (proposals, {"export": "xlsx"}),
        (reverse("participation_admin:moderation_decide", args=["comentario", comment.pk]), {}),
        (reverse("participation_admin:proposal_answer", args=[comment.proposal_id]), {}),
        (f"/admin/bulk/participation/comment/hide/?id={comment.pk}&next=/admin/", {}),
    ]
    client.force_login(moderator)
    for url, params in moderation_urls:
        response = client.get(url, params)
        assert response.status_code == 200, (url, params)
        if url.startswith(moderation) or "/comment/" in url or "comentario" in url:
            assert "Comentario reportado de prueba" in _body(response), (url, params)
    for user in (worker_x, transparency, citizen):
        client.force_login(user)
        for url, params in moderation_urls:
            assert client.get(url, params).status_code in (302, 403), (user, url, params)
        client.post(f"/admin/bulk/participation/comment/hide/?id={comment.pk}&next=/admin/", {"reason": "no"})
    comment.refresh_from_db()
    assert comment.moderation == "visible"
