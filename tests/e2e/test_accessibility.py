"""Accessibility in a real browser: axe-core checks, keyboard use, small screens.

Run with ``pytest -m e2e tests/e2e``; needs Debian's Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.a11y import blocking_violations, report

# django_db: pytest-django only creates the test database when a collected test
# asks for it; each test runs in a transaction that is rolled back afterwards
# (with in-memory SQLite the live server shares that same connection).
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

GUIDE = "/tramites/licencia-de-funcionamiento/"

PAGES = [
    pytest.param("/", 200, id="inicio"),
    pytest.param("/tramites/", 200, id="tramites"),
    pytest.param(GUIDE, 200, id="guia"),
    pytest.param(GUIDE + "?opinion=gracias", 200, id="guia-gracias"),
    pytest.param("/normativa/", 200, id="normativa"),
    pytest.param("/transparencia/", 200, id="transparencia"),
    pytest.param("/pagina-que-no-existe/", 404, id="404"),
    pytest.param("/en/tramites/", 200, id="en-tramites"),
]


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_no_serious_axe_violations(site_page, path, status):
    response = site_page.goto(path)
    assert response is not None and response.status == status
    blocking = blocking_violations(site_page)
    assert not blocking, f"axe found serious/critical problems on {path}:{report(blocking)}"


def test_no_serious_axe_violations_on_a_phone(phone_page):
    phone_page.goto(GUIDE)
    blocking = blocking_violations(phone_page)
    assert not blocking, report(blocking)


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_the_content(site_page):
    site_page.goto(GUIDE)
    site_page.keyboard.press("Tab")
    focused = site_page.evaluate(
        "() => ({text: document.activeElement.textContent.trim(), href: document.activeElement.getAttribute('href')})"
    )
    assert focused == {"text": "Saltar al contenido", "href": "#contenido"}
    # The link is visible while it has the focus.
    assert site_page.locator(".skip-link").bounding_box()["x"] >= 0
    site_page.keyboard.press("Enter")
    assert site_page.evaluate("() => document.activeElement.id") == "contenido"
    # The next Tab continues inside the content, not back in the header.
    site_page.keyboard.press("Tab")
    assert site_page.evaluate("() => document.getElementById('contenido').contains(document.activeElement)")


def test_guide_index_filter_by_category(site_page):
    site_page.goto("/tramites/")
    main = site_page.locator("main")
    status = main.get_by_role("status")
    total = int(re.match(r"\d+", status.inner_text()).group())
    select = site_page.get_by_label("Categoría")
    option = select.locator("option").nth(1)
    slug = option.get_attribute("value")
    name, count = re.fullmatch(r"(.+) \((\d+)\)", option.inner_text().strip()).groups()
    assert 0 < int(count) < total

    # By keyboard: choose the category, then Tab to "Filtrar" and press Enter.
    select.focus()
    select.select_option(slug)
    site_page.keyboard.press("Tab")  # "Solo trámites en línea"
    site_page.keyboard.press("Tab")  # "Filtrar"
    assert site_page.evaluate("() => document.activeElement.textContent.trim()") == "Filtrar"
    with site_page.expect_navigation():
        site_page.keyboard.press("Enter")

    assert f"categoria={slug}" in site_page.url
    assert main.get_by_role("status").inner_text().startswith(f"{count} trámite")
    assert site_page.locator("main h2").all_inner_texts() == [name]
    assert site_page.locator("main .card").count() == int(count)
    assert site_page.get_by_label("Categoría").input_value() == slug


def _focused(page) -> dict:
    return page.evaluate("() => ({id: document.activeElement.id, text: document.activeElement.textContent.trim()})")


def test_guide_feedback_form_by_keyboard(site_page):
    from cms.models import GuideFeedback, GuidePage

    guide = GuidePage.objects.get(slug="licencia-de-funcionamiento")
    before = GuideFeedback.objects.filter(page=guide).count()

    site_page.goto(GUIDE)
    site_page.locator("#util-si").focus()
    site_page.keyboard.press("Space")
    assert site_page.get_by_label("Sí", exact=True).is_checked()
    site_page.keyboard.press("Tab")
    assert _focused(site_page)["id"] == "comentario"
    site_page.keyboard.type("Muy clara, gracias.")
    site_page.keyboard.press("Tab")
    assert _focused(site_page)["text"] == "Enviar opinión"
    with site_page.expect_navigation():
        site_page.keyboard.press("Enter")

    assert site_page.url.endswith(GUIDE + "?opinion=gracias#opinion")
    notice = site_page.locator("#opinion").get_by_role("status")
    assert notice.inner_text() == "¡Gracias! Tu opinión nos ayuda a mejorar esta guía."
    assert notice.is_visible()
    assert GuideFeedback.objects.filter(page=guide).count() == before + 1
    feedback = GuideFeedback.objects.filter(page=guide).latest("pk")
    assert feedback.helpful is True and feedback.comment == "Muy clara, gracias."


def test_guide_feedback_errors_are_announced(site_page):
    site_page.goto(GUIDE)
    # The browser itself refuses an empty choice ("required"); skip that to see
    # the server's answer, as a browser without validation would.
    site_page.evaluate("() => { document.querySelector('#opinion form').noValidate = true; }")
    with site_page.expect_navigation():
        site_page.get_by_role("button", name="Enviar opinión").click()

    alert = site_page.locator("#helpful-error")
    assert alert.get_attribute("role") == "alert"
    assert alert.inner_text().strip() == "Elige «Sí» o «No»."
    assert site_page.locator("#opinion fieldset").get_attribute("aria-describedby") == "helpful-error"
    blocking = blocking_violations(site_page)
    assert not blocking, report(blocking)

    # Correcting the answer from the error page works too.
    site_page.get_by_label("No", exact=True).check()
    with site_page.expect_navigation():
        site_page.get_by_role("button", name="Enviar opinión").click()
    assert site_page.url.endswith(GUIDE + "?opinion=gracias#opinion")


def test_regulation_table_scrolls_inside_its_region_on_a_phone(phone_page):
    phone_page.goto("/normativa/")
    region = phone_page.get_by_role("region", name="Normas")
    assert region.get_attribute("tabindex") == "0"  # reachable by keyboard to scroll it
    sizes = region.evaluate("element => ({client: element.clientWidth, scroll: element.scrollWidth})")
    assert sizes["client"] <= 375
    blocking = blocking_violations(phone_page)
    assert not blocking, report(blocking)


@pytest.mark.parametrize("path", ["/", "/tramites/", GUIDE, "/normativa/", "/transparencia/", "/pagina-que-no-existe/"])
def test_phone_viewport_has_no_horizontal_scroll(phone_page, path):
    phone_page.goto(path)
    width = phone_page.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= 375 + 1, f"{path} is {width}px wide on a 375px screen"
    # The search box stays in sight; the main navigation is one tap away, behind the "Menú" button.
    assert phone_page.locator("#q-header").is_visible()
    phone_page.locator("summary.menu-button").click()
    assert phone_page.get_by_role("navigation", name="Principal").is_visible()
