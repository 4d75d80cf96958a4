"""Staff change the 800 line and the opening hours in the settings screen, in a real browser (issue 13).

On the product's server (``ayni.server``, two worker processes, its page cache
in front of Django: the ``portal`` fixture of tests/e2e/conftest.py). A guide
page is served from the page cache with the old number; the administrator
opens Propiedades (Wagtail's settings menu) → Portal del municipio, changes the 800 line and the hours
and saves; the same guide page, asked again from either worker process, shows
the new number and hours at once, and so does the bot's answer in the web chat
(a new conversation). axe finds no serious or critical problem on the settings
screen nor on the admin's dashboard (the home page with what is pending).

Run with ``pytest -m e2e tests/e2e/test_staff_settings.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import os
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import blocking_violations

pytestmark = [pytest.mark.e2e, pytest.mark.embedded_only]

GUIDE = "/tramites/licencia-de-funcionamiento/"
OLD_PHONE, NEW_PHONE = "800-13-5555", "800-10-7777"
NEW_HOURS = "Lunes a sábado de 07:00 a 19:00"
SCREENSHOTS = os.environ.get("AYNI_E2E_SCREENSHOTS")  # a folder: keep screenshots of the two screens there


def _assert_accessible(page, where: str) -> None:
    blocking = [
        f"[{v['impact']}] {v['id']}: {v['help']} {[n['target'] for n in v['nodes']][:5]}"
        for v in blocking_violations(page)
    ]
    assert not blocking, f"axe found serious/critical problems on {where}: {blocking}"


def _screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _anonymous_get(url: str) -> tuple[str, str]:
    """The page as a visitor without cookies gets it (the page cache may answer): (cache header, footer)."""
    with urllib.request.urlopen(url, timeout=10) as response:
        html = response.read().decode()
        cache_state = response.headers.get("X-Ayni-Cache", "")
    footer = re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S)
    assert footer, "the page has no footer"
    return cache_state, footer.group(1)


def _ask(page, text: str):
    page.goto("/")
    page.get_by_role("button", name="¿Consultas? Asistente virtual").click()
    page.get_by_label("Tu mensaje").fill(text)
    page.get_by_label("Tu mensaje").press("Enter")
    return page.locator("#chat-log .chat-msg.bot").last


def _sign_in_as_administrator(page, portal) -> None:
    username, password = (portal.var_dir / "admin_password.txt").read_text().split()[:2]
    page.goto("/admin/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("input[name=password]").press("Enter")
    assert "/admin/login/" not in page.url


def test_staff_change_the_800_line_and_hours_and_see_them_on_the_site_and_in_the_bot(new_tab, portal):
    # A visitor's guide page, cached by the server with the number the demo gave.
    states = []
    for _ in range(6):  # enough requests for both worker processes to have served it
        state, footer = _anonymous_get(portal.url + GUIDE)
        states.append(state)
        assert OLD_PHONE in footer and NEW_PHONE not in footer
    assert "hit" in states  # the page cache answers it: saving the settings must purge it
    expect(_ask(new_tab(portal.url), "¿eres un robot?")).to_contain_text(OLD_PHONE)

    # The administrator's dashboard (what is pending), then the settings screen.
    staff = new_tab(portal.url)
    _sign_in_as_administrator(staff, portal)
    staff.goto("/admin/")
    expect(staff.get_by_role("heading", level=1)).to_be_visible()
    _assert_accessible(staff, "el escritorio (inicio del admin)")
    _screenshot(staff, "dashboard")

    staff.get_by_role("button", name="Propiedades").click()
    staff.get_by_role("link", name="Portal del municipio").click()
    expect(staff.get_by_label("Línea gratuita")).to_have_value(OLD_PHONE)
    _assert_accessible(staff, "la configuración del portal")
    _screenshot(staff, "settings")

    # A number that is not one is refused with a Spanish message, nothing changes.
    staff.get_by_label("Línea gratuita").fill("llamar al alcalde")
    staff.get_by_role("button", name="Guardar", exact=True).click()
    expect(staff.get_by_text("Escribe solo números").first).to_be_visible()
    _assert_accessible(staff, "la configuración del portal con un error")
    assert OLD_PHONE in _anonymous_get(portal.url + GUIDE)[1]

    staff.get_by_label("Línea gratuita").fill(NEW_PHONE)
    staff.get_by_label("Horario de atención").fill(NEW_HOURS)
    staff.get_by_role("button", name="Guardar", exact=True).click()
    expect(staff.get_by_text("Portal del municipio actualizado", exact=False).first).to_be_visible()

    # The site: the same guide page, from either process, shows the new line and hours.
    for _ in range(6):
        _state, footer = _anonymous_get(portal.url + GUIDE)
        assert NEW_PHONE in footer and NEW_HOURS in footer and OLD_PHONE not in footer
    visitor = new_tab(portal.url)
    visitor.goto(GUIDE)
    expect(visitor.locator("footer.site-footer")).to_contain_text(NEW_PHONE)
    expect(visitor.locator(f'footer.site-footer a[href="tel:{NEW_PHONE.replace("-", "")}"]')).to_be_visible()

    # The bot: a new conversation gives the new line and its hours.
    answer = _ask(new_tab(portal.url), "¿eres un robot?")
    expect(answer).to_contain_text(NEW_PHONE)
    expect(answer).to_contain_text(NEW_HOURS)
    expect(answer).not_to_contain_text(OLD_PHONE)
