"""A printed guide shows the guide's facts only, with its address and the date it was printed.

Chromium renders the guide with ``media="print"``: the header, the search box, the chat
button, the feedback form, the breadcrumb, the alternative names and the tags are not
shown; the title, the facts, the requirements, the steps and the office are; the last line
gives the address the guide was read at and the date of printing (set in the browser, so a
cached page still prints today's date). A screenshot goes to /tmp/shots/.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

GUIDE = "/tramites/licencia-de-funcionamiento/"
SHOTS = "/tmp/shots"
HIDDEN = [".site-header", ".header-search", "#chat", ".chat-toggle", "#opinion", ".site-footer", ".no-print"]
SHOWN = ["h1", "dl.facts", "#requisitos", "#pasos", "#oficina", "address", ".print-only"]


def _visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


@pytest.mark.parametrize(("prefix", "expected_date"), [("", "%d/%m/%Y"), ("/en", "%m/%d/%Y")])
def test_printed_guide_shows_its_facts_address_and_date(site_page, site_url, prefix, expected_date):
    printed_on = dt.datetime(2031, 3, 4, 15, 0)
    site_page.clock.set_fixed_time(printed_on)
    site_page.goto(prefix + GUIDE)
    for selector in HIDDEN + SHOWN:
        assert site_page.locator(selector).count(), f"{selector} is not on the page"
    assert _visible(site_page, ".site-header") and _visible(site_page, "#opinion")
    assert not _visible(site_page, ".print-only")  # on screen, the printed line is hidden
    site_page.emulate_media(media="print")
    site_page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for selector in HIDDEN:
        assert not _visible(site_page, selector), f"{selector} is printed"
    for selector in SHOWN:
        assert _visible(site_page, selector), f"{selector} is not printed"
    line = site_page.locator(".print-only").inner_text()
    # The address of the page printed (under /en/ the English translation's own slug, after a redirect).
    assert site_page.url.startswith(f"{site_url}{prefix}/tramites/") and site_page.url in line
    assert printed_on.strftime(expected_date) in line
    os.makedirs(SHOTS, exist_ok=True)
    site_page.screenshot(path=f"{SHOTS}/guide-print{prefix.replace('/', '-')}.png", full_page=True)
    # The whole guide fits on two A4 pages.
    height = site_page.evaluate("document.documentElement.scrollHeight")
    assert height < 2 * 1123, height  # 297 mm at 96 dpi
