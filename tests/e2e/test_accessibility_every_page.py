"""axe on every kind of public page, in Spanish and in English, forms with their errors shown (issue 14).

The same pages the Nu Html Checker reads (tests/test_markup_vnu.py: its
``PUBLIC_PAGES``, ``DETAIL_PAGES`` and ``FORMS_WITH_ERRORS``), but opened in
Chromium as a visitor would: detail pages are reached by following the first
link of their index; forms are filled and sent from the page itself with the
browser's own validation off, so the server's answer with its errors is what
axe reads; the signed-in pages (profile, a new proposal refused) after signing
in (registered and verified through the e-mail link, as a resident would). One
test per language reports every page with a serious or critical problem at
once. On the product's server (the ``portal`` fixture: two worker processes,
its page cache, its own database), so that signing in writes as in production.

Run with ``pytest -m e2e tests/e2e/test_accessibility_every_page.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.a11y import blocking_violations
from tests.e2e.test_participation_browser import register_and_verify
from tests.test_markup_vnu import DETAIL_PAGES, FORMS_WITH_ERRORS, PUBLIC_PAGES

pytestmark = [pytest.mark.e2e, pytest.mark.embedded_only]

# Fill the fields of the form that has them all, turn the browser's validation
# off and send it as the visitor's click would.
_SEND_FORM = """(data) => {
    const forms = [...document.querySelectorAll("main form")];
    const form = forms.find((candidate) => Object.keys(data).every((name) => candidate.elements[name]));
    if (!form) { return false; }
    for (const [name, value] of Object.entries(data)) {
        const field = form.elements[name];
        if (field instanceof RadioNodeList) {
            for (const option of field) { option.checked = option.value === value; }
        } else if (field.type === "checkbox" || field.type === "radio") {
            field.checked = Boolean(value);
        } else {
            field.value = value;
        }
    }
    form.noValidate = true;
    const button = form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
    form.requestSubmit(button || undefined);
    return true;
}"""


def _describe(violations: list[dict]) -> str:
    return "; ".join(
        f"[{v['impact']}] {v['id']} {[', '.join(map(str, node['target'])) for node in v['nodes']][:3]}"
        for v in violations
    )


def _first_link(page, prefix: str, section: str, pattern: str) -> str:
    page.goto(prefix + section)
    hrefs = page.locator("main a[href]").evaluate_all("links => links.map((link) => link.getAttribute('href'))")
    wanted = re.compile(rf"^(?:{re.escape(prefix)})?{re.escape(section)}{pattern}$")
    for href in hrefs:
        if wanted.match(href):
            return href
    raise AssertionError(f"no link matching {pattern!r} on {prefix}{section}")


def _send(page, data: dict) -> None:
    with page.expect_navigation():
        assert page.evaluate(_SEND_FORM, data), f"no form with the fields {sorted(data)} on {page.url}"
    assert page.locator(".errorlist").count(), f"{page.url}: the refused form shows no error"


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_public_page_has_no_serious_axe_problem_in_either_language(new_tab, portal, lang):
    site_page = new_tab(portal.url)
    prefix = "" if lang == "es" else f"/{lang}"
    problems: dict[str, str] = {}
    checked: list[str] = []

    def check(name: str) -> None:
        html_lang = site_page.locator("html").get_attribute("lang") or ""
        assert html_lang.startswith(lang), f"{name}: {site_page.url} is in {html_lang!r}, not {lang!r}"
        found = blocking_violations(site_page)
        checked.append(name)
        if found:
            problems[f"{name} ({site_page.url})"] = _describe(found)

    for name, path in PUBLIC_PAGES.items():
        response = site_page.goto(prefix + path)
        assert response is not None and response.status == 200, f"{prefix + path}: {response and response.status}"
        check(name)
    for name, (section, pattern) in DETAIL_PAGES.items():
        site_page.goto(_first_link(site_page, prefix, section, pattern))
        check(name)
    for name, (path, data) in FORMS_WITH_ERRORS.items():
        site_page.goto(prefix + path)
        _send(site_page, data)
        check(name)
    # The guide's feedback form sent without an answer.
    site_page.goto(prefix + PUBLIC_PAGES["guia"])
    _send(site_page, {"comment": ""})
    check("opinion-errores")
    response = site_page.goto(prefix + "/pagina-que-no-existe/")
    assert response is not None and response.status == 404
    check("404")

    # A resident signed in: the profile, and a new proposal refused.
    register_and_verify(site_page, portal, f"axe.{lang}@ejemplo.bo", "Residente")
    site_page.goto(prefix + "/cuentas/perfil/")
    assert "/cuentas/ingresar/" not in site_page.url, "the resident could not sign in"
    check("perfil")
    site_page.goto(prefix + "/participa/propuestas/nueva/")
    _send(site_page, {"title": ""})
    check("propuesta-nueva-errores")

    assert len(checked) == len(PUBLIC_PAGES) + len(DETAIL_PAGES) + len(FORMS_WITH_ERRORS) + 4
    assert not problems, "axe found serious/critical problems:\n" + "\n".join(
        f"- {where}: {what}" for where, what in problems.items()
    )
