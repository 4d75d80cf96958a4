"""A reclamo filed through the web chat widget, in a real browser (issue 15).

A resident opens the chat on the home page, asks to report a problem, presses
the problem type button the bot shows, types what happens, attaches a photo and
types where, checks
the summary and presses "Enviar": the bot answers with the tracking code, and
exactly one case arrives in the staff queue marked as filed by the web chat.

Screenshots for the product owner go to ``AYNI_E2E_SHOTS`` (default
/tmp/shots/), never into the repository.

Run with ``pytest -m e2e tests/e2e/test_chat_reclamo.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import blocking_violations, report

from .conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

SHOTS = Path(os.environ.get("AYNI_E2E_SHOTS", "/tmp/shots"))
PHONE_390 = {"width": 390, "height": 844}
CODE = re.compile(r"RC-[A-Z0-9]{5}-[A-Z0-9]{5}")
TYPE_NAME = "Bache o calle dañada"
DESCRIPTION = "Hay un bache enorme frente al mercado Rodríguez que ya causó accidentes"
PLACE = "Calle Rodríguez esquina Zoilo Flores, zona San Pedro"
ADMIN_USER, ADMIN_PASSWORD = "e2e-chat-admin", "una-clave-de-prueba-larga"


@pytest.fixture(autouse=True, scope="module")
def _chat_records(chromium, site_url, django_db_blocker):
    """What this module needs outside the live server, and nothing left behind.

    Chromium (Playwright) is started before the live server, as in the other
    modules: the server then shares the very connection the tests use (with
    in-memory SQLite), not one from before Playwright took over the main thread.

    The problem types come from the participation demo (loaded again if a
    transactional test flushed the database). With PostgreSQL the live server
    commits what it writes, so the superuser for the staff queue is committed
    here, before the test's transaction, and the cases, conversations and
    notifications the chat produced are removed when the module ends.
    """
    from django.contrib.auth import get_user_model

    from chatbot.models import ChatExchange, Conversation
    from participation.models import Complaint, Notification, ProblemType

    models = (Complaint, Conversation, ChatExchange, Notification)
    with django_db_blocker.unblock():
        if not ProblemType.objects.filter(slug="bache").exists():
            __import__("participation.demo.loader").demo.loader.load_demo()
        before = {model: set(model.objects.values_list("pk", flat=True)) for model in models}
        user_model = get_user_model()
        user_model.objects.filter(username=ADMIN_USER).delete()
        admin = user_model.objects.create_superuser(ADMIN_USER, "e2e-chat-admin@example.org", ADMIN_PASSWORD)
    yield
    with django_db_blocker.unblock():
        for model in models:
            model.objects.exclude(pk__in=before[model]).delete()
        admin.delete()


@pytest.fixture(autouse=True)
def _answer_in_the_request_thread(settings):
    """The chat answers on the live server's request thread, which shares the test's
    connection (in-memory SQLite); a pool thread would open another one."""
    settings.CHATBOT_ANSWER_IN_POOL = False


def _assert_no_blocking_axe_violations(page) -> None:
    blocking = blocking_violations(page)
    assert not blocking, f"axe found serious/critical problems with the chat open:{report(blocking)}"


def _bot_says(page, text: str):
    """Wait for the bot's latest message to contain ``text`` and return it."""
    last = page.locator("#chat-log .chat-msg.bot").last
    expect(last).to_contain_text(text)
    return last


def _type_in_chat(page, text: str) -> None:
    page.get_by_label("Tu mensaje").fill(text)
    page.get_by_label("Tu mensaje").press("Enter")
    expect(page.locator("#chat-log .chat-msg.you").last).to_have_text(re.compile(re.escape(text)))


def _bot_button(page, name: str):
    """A button the bot showed in the conversation (not the form's own "Enviar")."""
    return page.locator("#chat-log .chat-buttons").last.get_by_role("button", name=name, exact=True)


def _small_jpeg() -> bytes:
    from io import BytesIO

    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


def _up_to_the_summary(page, *, check_accessibility: bool = False, photo: bool = False) -> None:
    page.goto("/")
    page.get_by_role("button", name="¿Consultas? Asistente virtual").click()
    panel = page.get_by_role("region", name="Asistente virtual")
    expect(panel).to_be_visible()
    expect(page.get_by_label("Tu mensaje")).to_be_focused()

    _type_in_chat(page, "quiero reportar un problema")
    _bot_says(page, "¿Qué pasó?")
    type_button = _bot_button(page, TYPE_NAME)
    expect(type_button).to_be_visible()
    if check_accessibility:
        _assert_no_blocking_axe_violations(page)  # mid-flow: the type buttons are showing
    type_button.click()
    expect(page.locator("#chat-log .chat-msg.you").last).to_contain_text(TYPE_NAME)
    _bot_says(page, "Cuéntame brevemente qué pasa")

    _type_in_chat(page, DESCRIPTION)
    _bot_says(page, "¿Dónde es?")
    # The photo step: a labelled file input, shown with the question.
    attach, attach_label = page.get_by_label("Adjuntar foto"), page.locator("#chat-photo label")
    expect(attach_label).to_have_text(re.compile("Adjuntar foto"))
    expect(attach_label).to_be_visible()
    if photo:
        if check_accessibility:
            _assert_no_blocking_axe_violations(page)  # the photo step with its upload control
        attach.set_input_files({"name": "bache.jpg", "mimeType": "image/jpeg", "buffer": _small_jpeg()})
        expect(page.locator("#chat-log .chat-msg.you").last).to_contain_text("bache.jpg")
        _bot_says(page, "Foto recibida")
    _type_in_chat(page, PLACE)
    summary = _bot_says(page, "Revisa tu reclamo")
    expect(summary).to_contain_text(f"Tipo: {TYPE_NAME}")
    expect(summary).to_contain_text(DESCRIPTION)
    expect(summary).to_contain_text(PLACE)
    if photo:
        expect(summary).to_contain_text("Fotos: 1")
    expect(page.locator("#chat-photo label")).to_be_hidden()  # offered only at the photo step
    expect(_bot_button(page, "Enviar reclamo")).to_be_visible()
    expect(_bot_button(page, "Cancelar")).to_be_visible()


def _buttons_fit(page) -> None:
    """The bot's buttons stay inside the chat panel: no horizontal scroll, nothing cut off."""
    sizes = page.evaluate(
        """() => {
          const panel = document.getElementById('chat-panel').getBoundingClientRect();
          const log = document.getElementById('chat-log');
          const buttons = [...log.querySelectorAll('.chat-buttons button')].map(b => b.getBoundingClientRect());
          return {logScroll: log.scrollWidth, logClient: log.clientWidth, panelLeft: panel.left,
                  panelRight: panel.right, viewport: window.innerWidth,
                  lefts: buttons.map(b => b.left), rights: buttons.map(b => b.right)};
        }"""
    )
    assert sizes["logScroll"] <= sizes["logClient"], sizes
    assert sizes["panelRight"] <= sizes["viewport"] + 0.5 and sizes["panelLeft"] >= -0.5, sizes
    assert all(sizes["panelLeft"] <= left for left in sizes["lefts"]), sizes
    assert all(right <= sizes["panelRight"] for right in sizes["rights"]), sizes


def test_a_resident_files_a_reclamo_in_the_web_chat(chromium, site_url, site_page):
    from participation.models import Complaint

    SHOTS.mkdir(parents=True, exist_ok=True)
    page = site_page
    _up_to_the_summary(page, check_accessibility=True, photo=True)
    _buttons_fit(page)
    _assert_no_blocking_axe_violations(page)  # the summary with its "Enviar" / "Cancelar"
    page.screenshot(path=str(SHOTS / "chat-resumen-escritorio-1280x900.png"))

    _bot_button(page, "Enviar reclamo").click()
    done = _bot_says(page, "Registré tu reclamo con el código")
    expect(done).to_contain_text("días hábiles")
    code = CODE.search(done.inner_text()).group()

    cases = Complaint.objects.filter(channel="chat_web")
    assert cases.count() == 1
    case = cases.select_related("problem_type", "unit").get()
    assert case.code == code
    assert case.kind == "reclamo"
    assert case.problem_type.slug == "bache" and case.problem_type.name == TYPE_NAME
    assert case.unit_id == case.problem_type.unit_id
    assert case.description == DESCRIPTION and case.location == PLACE
    assert not case.anonymous and not case.contact_whatsapp
    [attachment] = case.attachments.all()  # the photo attached in the widget, cleaned and kept privately
    assert attachment.content_type == "image/jpeg" and attachment.size > 0

    # The staff queue shows the case with its channel badge.
    context = chromium.new_context(base_url=site_url, viewport=DESKTOP, locale="es-BO")
    context.set_default_timeout(10_000)
    try:
        admin = context.new_page()
        admin.goto("/admin/login/")
        admin.locator("input[name=username]").fill(ADMIN_USER)
        admin.locator("input[name=password]").fill(ADMIN_PASSWORD)
        with admin.expect_navigation():
            admin.locator("input[name=password]").press("Enter")
        # Filtered by the case's unit so that the header and the case fit one screen.
        admin.goto(f"/admin/participa/reclamos/?unidad={case.unit.slug}")
        row = admin.locator("table.listing tbody tr", has=admin.get_by_role("link", name=code, exact=True))
        expect(row).to_have_count(1)
        expect(row.locator(".w-status--primary")).to_have_text("chat web")
        expect(row.get_by_label("Con foto")).to_be_visible()  # the photo attached in the chat
        expect(row).to_contain_text(TYPE_NAME)
        admin.screenshot(path=str(SHOTS / "cola-de-reclamos-admin-1280x900.png"))
    finally:
        context.close()


def test_the_summary_fits_a_phone(chromium, site_url):
    from participation.models import Complaint

    SHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        base_url=site_url,
        viewport=PHONE_390,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="es-BO",
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        filed_before = Complaint.objects.filter(channel="chat_web").count()
        _up_to_the_summary(page)
        _buttons_fit(page)
        page.screenshot(path=str(SHOTS / "chat-resumen-telefono-390x844.png"))
        # Cancelling from the summary files nothing.
        _bot_button(page, "Cancelar").click()
        _bot_says(page, "cancelé el reclamo")
        assert Complaint.objects.filter(channel="chat_web").count() == filed_before
    finally:
        context.close()
