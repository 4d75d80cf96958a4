"""The header in a real browser: on a 390 x 844 phone (compact, a disclosure menu) and on a desktop
(every section in sight), with the current section marked, the language kept and axe clean.

Run with ``pytest -m e2e tests/e2e/test_navigation.py``; needs Debian's Chromium (/usr/bin/chromium).
"""

from __future__ import annotations

import pytest

from tests.e2e.a11y import blocking_violations
from tests.e2e.conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PHONE = {"width": 390, "height": 844}
GUIDE = "/tramites/licencia-de-funcionamiento/"


def _blocking(page) -> list[str]:
    return [
        f"[{v['impact']}] {v['id']}: {', '.join(str(n['target']) for n in v['nodes'])}"
        for v in blocking_violations(page)
    ]


@pytest.fixture(scope="module")
def phone_390(chromium, site_url):
    context = chromium.new_context(
        base_url=site_url, locale="es-BO", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def phone(phone_390):
    page = phone_390.new_page()
    yield page
    page.close()


def test_on_a_phone_the_first_screen_shows_the_content_and_the_menu_opens(phone):
    phone.goto(GUIDE)
    header = phone.locator("header.site-header").bounding_box()
    assert header["height"] <= 0.2 * PHONE["height"], header  # the header takes a fifth of the screen at most
    title = phone.locator("main h1").bounding_box()
    assert title["y"] < PHONE["height"] / 3
    assert phone.locator("#q-header").is_visible()  # search stays in sight
    assert phone.get_by_role("link", name="GAM Ejemplo").is_visible()  # the short name of the settings

    nav = phone.get_by_role("navigation", name="Principal")
    menu = phone.locator("summary.menu-button")
    assert not nav.is_visible()
    assert _blocking(phone) == []

    menu.click()
    assert nav.is_visible()
    current = nav.locator("[aria-current]")
    assert (
        current.count() == 1 and current.inner_text() == "Trámites" and current.get_attribute("aria-current") == "true"
    )
    assert phone.get_by_role("link", name="Registrarse").is_visible()
    assert _blocking(phone) == []
    width = phone.evaluate("() => document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], width

    # Escape closes it and gives the focus back to the button.
    nav.get_by_role("link", name="Datos").focus()
    phone.keyboard.press("Escape")
    assert not nav.is_visible()
    assert phone.evaluate("() => document.activeElement.classList.contains('menu-button')")

    # By keyboard: Enter on the button opens the menu, Tab goes into its links; a tap on a section goes there.
    phone.keyboard.press("Enter")
    assert nav.is_visible()
    phone.keyboard.press("Tab")
    assert phone.evaluate("() => document.activeElement.textContent.trim()") == "Trámites"
    with phone.expect_navigation():
        nav.get_by_role("link", name="Participa").click()
    assert phone.url.endswith("/participa/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Participa"
    menu.click()
    assert nav.locator('[aria-current="page"]').inner_text() == "Participa"


def test_on_a_desktop_every_section_is_in_sight_and_marked(desktop_context):
    page = desktop_context.new_page()
    try:
        assert page.viewport_size == DESKTOP
        page.goto("/participa/")
        nav = page.get_by_role("navigation", name="Principal")
        assert nav.is_visible()
        assert not page.locator("summary.menu-button").is_visible()
        links = nav.get_by_role("link")
        assert links.all_inner_texts() == ["Trámites", "Participa", "Datos", "Normativa", "Transparencia", "Noticias"]
        assert all(links.nth(i).is_visible() for i in range(links.count()))
        assert nav.locator('[aria-current="page"]').inner_text() == "Participa"
        account = page.get_by_role("navigation", name="Tu cuenta")
        assert account.get_by_role("link").all_inner_texts() == ["Ingresar", "Registrarse"]
        header = page.locator("header.site-header").bounding_box()
        assert header["height"] <= 160, header
        assert _blocking(page) == []

        with page.expect_navigation():
            nav.get_by_role("link", name="Datos").click()
        assert page.url.endswith("/datos/")
        assert nav.locator('[aria-current="page"]').inner_text() == "Datos"
    finally:
        page.close()


def test_english_pages_keep_english_from_the_header(desktop_context, phone):
    page = desktop_context.new_page()
    try:
        page.goto("/en/")
        nav = page.get_by_role("navigation", name="Main")
        hrefs = nav.get_by_role("link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert len(hrefs) == 6 and all(href.startswith("/en/") for href in hrefs), hrefs
        with page.expect_navigation():
            nav.get_by_role("link", name="Take part").click()
        assert page.url.endswith("/en/participa/")
        assert page.locator("html").get_attribute("lang") == "en"
        assert nav.locator('[aria-current="page"]').inner_text() == "Take part"
        assert _blocking(page) == []
    finally:
        page.close()

    phone.goto("/en/tramites/")
    phone.locator("summary.menu-button").click()
    nav = phone.get_by_role("navigation", name="Main")
    with phone.expect_navigation():
        nav.get_by_role("link", name="News").click()
    assert phone.url.endswith("/en/noticias/")
    assert _blocking(phone) == []


HEADER_LINKS = {"es": ("/", "es-BO", "Principal", "Tu cuenta"), "en": ("/en/", "en", "Main", "Your account")}


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_header_link_keeps_the_language(desktop_context, language):
    """Each link of the header (sections, account, logo) lands on a page of the same language:
    its path keeps (or never gets) the /en/ prefix and its <html lang> is the language's."""
    home, lang, main_name, account_name = HEADER_LINKS[language]
    page = desktop_context.new_page()
    try:
        page.goto(home)
        header = page.locator("header.site-header")
        hrefs = []
        for name in (main_name, account_name):
            nav = header.get_by_role("navigation", name=name)
            hrefs += nav.get_by_role("link").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        hrefs += header.locator("a.brand, a[rel=home]").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert len(hrefs) >= 8, hrefs
        for href in dict.fromkeys(hrefs):
            response = page.goto(href)
            assert response.status < 400, (href, response.status)
            path = page.url.split("://", 1)[1].split("/", 1)[1]
            assert path.startswith("en/") == (language == "en"), (href, page.url)
            assert page.locator("html").get_attribute("lang") == lang, (href, page.url)
    finally:
        page.close()


def test_from_the_english_guide_list_to_an_english_guide_and_back_to_spanish(desktop_context):
    page = desktop_context.new_page()
    try:
        page.goto("/en/tramites/")
        assert page.locator("h1").inner_text() == "Procedure guides"
        with page.expect_navigation():
            page.locator("main").get_by_role("link", name="Pet registration").click()
        assert page.url.endswith("/en/tramites/pet-registration/")
        assert page.locator("html").get_attribute("lang") == "en"
        main = page.locator("main")
        assert "Valid rabies vaccination card" in main.inner_text()
        assert "Carnet de vacunación" not in main.inner_text()
        # The language switch goes to the same guide in Spanish, and back.
        page.get_by_role("navigation", name="Language").get_by_role("link", name="Español").click()
        page.wait_for_url("**/tramites/registro-de-mascotas/")
        assert page.locator("html").get_attribute("lang") == "es-BO"
        page.get_by_role("navigation", name="Idioma").get_by_role("link", name="English").click()
        page.wait_for_url("**/en/tramites/pet-registration/")
    finally:
        page.close()
