"""Staff jobs end to end in the Wagtail admin, in a real browser (issue 13).

A case worker of one unit filters the complaint queue, pages with the filter
kept, exports CSV and XLSX (only their unit's cases), assigns cases in bulk to
a colleague, and answers and closes a case in one step, seeing it in the
timeline. A moderator hides a reported comment with a reason and restores it
with a reason; the public proposal page hides and shows it. axe finds no
serious or critical violation on the queue (page 1 and page 2 with the filter),
the case, the bulk-action confirmation, the moderation screens and the
proposals listing (the settings screen and the dashboard: test_staff_settings.py;
the unanswered questions: test_unanswered_alias.py).

The data is made with the factories inside each test's transaction (with
in-memory SQLite the live server shares that connection), so it is not left
behind. Run once per CI (``embedded_only``): the admin is the same whatever
the database.

Run with ``pytest -m e2e tests/e2e/test_staff_jobs.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import blocking_violations, report

pytestmark = [pytest.mark.e2e, pytest.mark.embedded_only, pytest.mark.django_db]

QUEUE = "/admin/participa/reclamos/"
MODERATION = "/admin/participa/moderacion/"
PROPOSALS = "/admin/participa/propuestas/"
PASSWORD = "clave-segura-123"  # tests.ayni.factories.UserFactory's


def assert_accessible(page, where: str) -> None:
    blocking = blocking_violations(page)
    assert not blocking, f"axe found serious/critical problems on {where}:{report(blocking)}"


def sign_in(context, user):
    page = context.new_page()
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(user.get_username())
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    assert "/admin/login/" not in page.url
    return page


@pytest.fixture
def staff_context(chromium, site_url):
    """A fresh desktop context per signed-in person (the admin's session cookie is theirs alone).

    Tests ask for ``chromium`` before ``site_url``: Playwright must take over the
    main thread before the live server starts, so that the server shares the
    test's own connection (in-memory SQLite) and sees the factories' rows.
    """
    from .conftest import DESKTOP

    contexts = []

    def make():
        context = chromium.new_context(base_url=site_url, viewport=DESKTOP, locale="es-BO", accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


def _codes_on_page(page) -> list[str]:
    return page.locator("table.listing tbody [id^=complaint_][id$=_title]").all_inner_texts()


def _download(page, trigger) -> bytes:
    with page.expect_download() as info:
        trigger()
    return open(info.value.path(), "rb").read()


def test_a_case_worker_filters_pages_exports_assigns_answers_and_closes(chromium, site_url, staff_context):
    from participation.models import Complaint
    from tests.participation.factories import CaseWorkerFactory, ComplaintFactory, MunicipalUnitFactory

    unit_a = MunicipalUnitFactory(name="Unidad de Alumbrado E2E", slug="alumbrado-e2e")
    unit_b = MunicipalUnitFactory(name="Unidad de Movilidad E2E", slug="movilidad-e2e")
    worker = CaseWorkerFactory(units=[unit_a], first_name="Ana", last_name="Quispe")
    colleague = CaseWorkerFactory(units=[unit_a], first_name="Beto", last_name="Mamani")
    received = [
        ComplaintFactory(unit=unit_a, subject=f"Luminaria apagada número {n:02d}", contact_email="vecina@ejemplo.bo")
        for n in range(53)
    ]
    in_progress = [ComplaintFactory(unit=unit_a, subject=f"Poste caído {n}", status="en_proceso") for n in range(2)]
    other_unit = [ComplaintFactory(unit=unit_b, subject=f"Semáforo roto {n}") for n in range(3)]
    codes_a = {c.code for c in received + in_progress}

    page = sign_in(staff_context(), worker)

    # --- filter the queue by unit and status (Wagtail's filter drill-down) ---
    page.goto(QUEUE)
    page.get_by_role("button", name=re.compile("filtro|filter", re.I)).click()
    page.get_by_role("button", name="Unidad", exact=True).click()
    page.locator("#drilldown-id_unidad select").select_option(label=unit_a.name)
    page.wait_for_url(re.compile(r"unidad=alumbrado-e2e"))
    page.locator("#drilldown-id_unidad .w-drilldown__back").click()
    page.get_by_role("button", name="Estado", exact=True).click()
    page.locator("#drilldown-id_estado").get_by_role("radio", name="recibido", exact=True).check()
    page.wait_for_url(re.compile(r"estado=recibido"))
    expect(page.locator("table.listing tbody tr")).to_have_count(50)
    first_page = set(_codes_on_page(page))
    assert first_page <= {c.code for c in received}
    page.keyboard.press("Escape")
    assert_accessible(page, "the complaint queue (filtered)")

    # --- page 2 keeps the filter ---
    page.get_by_role("link", name=re.compile("Siguiente|Next")).first.click()
    page.wait_for_url(re.compile(r"p=2"))
    assert "unidad=alumbrado-e2e" in page.url and "estado=recibido" in page.url
    expect(page.locator("table.listing tbody tr")).to_have_count(3)
    second_page = set(_codes_on_page(page))
    assert first_page | second_page == {c.code for c in received} and not first_page & second_page
    assert_accessible(page, "the complaint queue, page 2 with the filter kept")

    # --- export: CSV and XLSX, this unit's cases only, the listing's filter kept ---
    page.goto(QUEUE + "?unidad=alumbrado-e2e")
    body = _download(page, lambda: _click_export(page, "CSV"))
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {row["Código"] for row in rows} == codes_a
    assert {row["Unidad"] for row in rows} == {unit_a.name}
    assert not {c.code for c in other_unit} & {row["Código"] for row in rows}
    assert "vecina@ejemplo.bo" not in body.decode("utf-8-sig")
    xlsx = _download(page, lambda: _click_export(page, "XLSX"))
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        sheet = "".join(book.read(name).decode() for name in book.namelist() if name.startswith("xl/"))
    assert all(code in sheet for code in codes_a) and not any(c.code in sheet for c in other_unit)

    # --- bulk-assign two cases to a colleague ---
    page.goto(QUEUE + "?estado=en_proceso")
    expect(page.locator("table.listing tbody tr")).to_have_count(2)
    for case in in_progress:
        page.locator(f"input[data-bulk-action-checkbox][data-object-id='{case.pk}']").check()
    page.locator("[data-bulk-action-button][aria-label='Asignar los casos elegidos a una persona']").click()
    page.wait_for_url(re.compile(r"/admin/bulk/participation/complaint/assign/"))
    assert_accessible(page, "the bulk-assign confirmation")
    page.get_by_label("Asignar a").select_option(label=colleague.get_username())
    page.get_by_role("button", name="Asignar", exact=True).click()
    page.wait_for_url(re.compile(re.escape(QUEUE)))
    expect(page.get_by_text("2 casos asignados a")).to_be_visible()
    assert {c.assigned_to_id for c in Complaint.objects.filter(pk__in=[c.pk for c in in_progress])} == {colleague.pk}

    # --- open a case, answer it publicly and close it in the same step ---
    case = received[0]
    page.goto(QUEUE + f"?q={case.code}")
    page.get_by_role("link", name=case.code, exact=True).click()
    page.get_by_role("heading", name=case.code).wait_for()
    assert_accessible(page, "the case detail")
    reply = page.locator("form", has=page.locator("input[name=action][value=reply]"))
    reply.get_by_label("Texto").fill("Cambiamos la luminaria el martes. Gracias por avisar.")
    expect(reply.get_by_label("Y el caso pasa a")).to_have_value("respondido")
    reply.get_by_label("Y el caso pasa a").select_option("cerrado")
    reply.get_by_role("button", name="Publicar respuesta").click()
    expect(page.get_by_text("Cambio guardado.")).to_be_visible()
    timeline = page.locator("h2:has-text('Historial') + ol")
    expect(timeline).to_contain_text("Cambiamos la luminaria el martes.")
    expect(timeline).to_contain_text("recibido → cerrado")
    expect(page.locator("dt:text-is('Estado') + dd")).to_have_text("Cerrado")
    case.refresh_from_db()
    assert case.status == "cerrado" and case.closed_at is not None

    # --- nothing of the other unit: its case's page is a 404 ---
    response = page.goto(f"/admin/participa/reclamos/{other_unit[0].pk}/")
    assert response is not None and response.status == 404


def _click_export(page, label: str) -> None:
    """Wagtail puts the spreadsheet downloads in the header's "more actions" dropdown."""
    link = page.get_by_role("link", name=f"Descargar {label}")
    if not link.is_visible():  # the dropdown stays open after an earlier download
        page.get_by_role("button", name="Acciones", exact=True).click()
    link.click()


def test_a_moderator_hides_and_restores_a_reported_comment(chromium, site_url, staff_context):
    from participation import services
    from tests.participation.factories import (
        CommentFactory,
        ModeratorFactory,
        ProposalFactory,
        VerifiedCitizenFactory,
    )

    proposal = ProposalFactory(title="Ciclovía en la avenida Busch")
    comment = CommentFactory(proposal=proposal, body="Comentario ofensivo de prueba E2E")
    for reason in ("lenguaje ofensivo", "insulta a vecinos"):
        services.content_report(user=VerifiedCitizenFactory(), comment=comment, reason=reason, client="")
    moderator = ModeratorFactory()
    public_url = proposal.get_absolute_url()

    visitor = staff_context().new_page()

    def shown_publicly() -> bool:
        visitor.goto(public_url)
        return visitor.locator(f"#comentario-{comment.pk}").count() == 1

    page = sign_in(staff_context(), moderator)
    page.goto(MODERATION + "?pendientes=1")
    row = page.locator("table.listing tbody tr", has_text="Comentario ofensivo de prueba E2E")
    expect(row).to_contain_text("lenguaje ofensivo")
    expect(row).to_contain_text("insulta a vecinos")
    assert_accessible(page, "the moderation listing")

    # Hide with a reason (bulk action "Retirar").
    row.locator("input[data-bulk-action-checkbox]").check()
    page.locator("[data-bulk-action-button][aria-label='Retirar el contenido elegido y cerrar sus reportes']").click()
    page.get_by_label("Motivo (opcional)").fill("Insultos a otros vecinos")
    page.get_by_role("button", name="Retirar", exact=True).click()
    expect(page.get_by_text("1 elemento retirado.")).to_be_visible()
    comment.refresh_from_db()
    assert comment.moderation == "removed"
    assert comment.moderation_decisions.last().reason == "Insultos a otros vecinos"
    assert not shown_publicly()

    # Restore from the comment's own moderation page, with a reason.
    page.goto(MODERATION)
    page.locator("table.listing tbody tr", has_text="Comentario ofensivo de prueba E2E").get_by_role(
        "link", name="Ver reportes y decidir"
    ).click()
    expect(page.get_by_text("Insultos a otros vecinos")).to_be_visible()
    assert_accessible(page, "the moderation decision page")
    page.get_by_label("Restablecer: vuelve a mostrarse").check()
    page.get_by_label("Motivo").fill("Revisado: es una crítica, no un insulto")
    page.get_by_role("button", name="Guardar la decisión").click()
    expect(page.get_by_text("Contenido restablecido.")).to_be_visible()
    comment.refresh_from_db()
    assert comment.moderation == "visible"
    assert comment.moderation_decisions.last().reason == "Revisado: es una crítica, no un insulto"
    assert shown_publicly()

    # The proposals listing, filtered: the proposal is there, and the screen passes axe.
    page.goto(PROPOSALS + "?q=Ciclov%C3%ADa")
    expect(page.locator("table.listing tbody tr", has_text="Ciclovía en la avenida Busch")).to_have_count(1)
    assert_accessible(page, "the proposals listing (searched)")
