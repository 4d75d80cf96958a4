"""The enforced Content-Security-Policy breaks nothing a visitor uses.

Every public page type is opened in Chromium with the production policy;
the page's scripts run (search autocomplete, the chat button, live counts)
and not a single CSP violation is reported.
"""

from __future__ import annotations

import pytest

from .conftest import DESKTOP

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

PAGES = [
    "/",
    "/tramites/",
    "/tramites/licencia-de-funcionamiento/",
    "/normativa/",
    "/datos/",
    "/participa/propuestas/",
    "/participa/reclamos/",
    "/participa/seguimiento/",
    "/buscar/?q=zoonosis",
    "/en/",
]

WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture(autouse=True, scope="module")
def _forget_search_terms(django_db_blocker):
    """The live server commits what it records (Wagtail's search terms): remove it afterwards."""
    from wagtail.contrib.search_promotions.models import Query

    with django_db_blocker.unblock():
        before = set(Query.objects.values_list("pk", flat=True))
    yield
    with django_db_blocker.unblock():
        Query.objects.exclude(pk__in=before).delete()


@pytest.mark.parametrize("path", PAGES)
def test_no_csp_violation_on_public_pages(chromium, site_url, path):
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH)
    try:
        response = page.goto(site_url + path, wait_until="networkidle")
        assert response.status < 400
        assert "script-src 'self'" in response.headers["content-security-policy"]
        violations = page.evaluate("window.__cspViolations")
        assert violations == [], violations
        assert not [line for line in console if "Content Security Policy" in line], console
    finally:
        context.close()


def test_search_autocomplete_still_works_under_the_policy(chromium, site_url):
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.add_init_script(WATCH)
    try:
        page.goto(site_url + "/", wait_until="networkidle")
        box = page.locator("input[type=search]").first
        box.fill("licen")
        page.wait_for_selector("[role=option]", timeout=10_000)  # the suggestions arrived and rendered
        assert page.evaluate("window.__cspViolations") == []
    finally:
        context.close()
