"""An unanswered question turned into a guide alias, in a real browser (issue 13, item 4).

A resident asks the web chat something it cannot place ("kiero poner una
cevicheria"); staff find the question under "Preguntas sin respuesta", add
"cevichería" as an alias of the operating-licence guide from that screen, and a
resident asking the same question again gets that guide. axe finds no serious or
critical problem on the list or on the alias form.

Run with ``pytest -m e2e tests/e2e/test_unanswered_alias.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import blocking_violations

from .conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.embedded_only, pytest.mark.django_db]

UNANSWERED = "/admin/asistente/sin-respuesta/"
QUESTION = "kiero poner una cevicheria"
GUIDE = "Licencia de funcionamiento para actividades económicas"
PASSWORD = "clave-segura-123"  # tests.ayni.factories.UserFactory's


def _assert_accessible(page, where: str) -> None:
    blocking = [f"[{v['impact']}] {v['id']}: {v['help']}" for v in blocking_violations(page)]
    assert not blocking, f"axe found serious/critical problems on {where}: {blocking}"


def _ask(context, text: str):
    page = context.new_page()
    page.goto("/")
    page.get_by_role("button", name="¿Consultas? Asistente virtual").click()
    page.get_by_label("Tu mensaje").fill(text)
    page.get_by_label("Tu mensaje").press("Enter")
    return page.locator("#chat-log .chat-msg.bot").last


def test_an_unanswered_question_becomes_a_guide_alias_and_the_bot_answers_it(
    chromium, site_url, superuser_factory, settings
):
    settings.CHATBOT_ANSWER_IN_POOL = False  # answers on the server's thread, which shares the test's connection
    staff_user = superuser_factory()
    contexts = []

    def context():
        made = chromium.new_context(base_url=site_url, viewport=DESKTOP, locale="es-BO")
        made.set_default_timeout(10_000)
        contexts.append(made)
        return made

    try:
        expect(_ask(context(), QUESTION)).to_contain_text("no entendí")

        staff = context().new_page()
        staff.goto("/admin/login/")
        staff.locator("input[name=username]").fill(staff_user.get_username())
        staff.locator("input[name=password]").fill(PASSWORD)
        with staff.expect_navigation():
            staff.locator("input[name=password]").press("Enter")
        staff.goto(UNANSWERED)
        row = staff.locator("table.listing tbody tr", has_text=QUESTION)
        expect(row).to_have_count(1)
        _assert_accessible(staff, "Preguntas sin respuesta")

        row.get_by_role("link", name="Añadir como alias de una guía").click()
        expect(staff.get_by_role("heading", name="Añadir como alias de una guía")).to_be_visible()
        expect(staff.get_by_label("Nombre alternativo")).to_have_value("poner cevicheria")  # a suggestion
        _assert_accessible(staff, "el formulario del alias")
        staff.get_by_label("Guía").select_option(label=GUIDE)
        staff.get_by_label("Nombre alternativo").fill("cevichería")
        staff.get_by_role("button", name="Añadir alias").click()
        expect(staff.get_by_text("el asistente y el buscador ya lo usan")).to_be_visible()
        expect(staff.locator("table.listing tbody tr", has_text=QUESTION)).to_have_count(0)  # handled

        expect(_ask(context(), QUESTION)).to_contain_text(GUIDE)  # another resident, a new conversation
    finally:
        for made in contexts:
            made.close()
