"""Sign-in with Ciudadanía Digital in a real browser, through the stand-in provider on loopback.

A resident signs in at the provider (its own sign-in and consent pages, on
another origin), supports a proposal as a verified resident (the support
counts at the identity level, which this municipality asks for), and signs out
at the portal and at the provider (RP-initiated logout, confirmed on the
provider's page, back to the portal). The error path: consent denied at the
provider gives a clear Spanish page, and signing in with e-mail and password
still works.

The portal is the harness's live server in this process (``site_url``: its
database is the tests' one, so rows made with the factories are seen there);
the provider is the harness's ``oidc_provider`` (tests/participation/oidc_provider.py).
Slow and independent of the database backend: it runs once per CI, in the
embedded-defaults pass.
Run with ``pytest -m e2e tests/e2e/test_oidc_browser.py``; needs Debian's Chromium.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from participation import services
from participation.models import Profile, Support
from tests.e2e.a11y import blocking_violations
from tests.participation.oidc_provider import CLIENT_ID

pytestmark = [pytest.mark.e2e, pytest.mark.embedded_only, pytest.mark.django_db]

USERNAME, PASSWORD = "juana", "clave-del-proveedor"
CLAIMS = {
    "sub": "cd-e2e-0001",
    "name": "Juana Mamani Quispe",
    "email": "juana.e2e@ejemplo.bo",
    "email_verified": True,
    "documento_identidad": "7654321-LP",
}


def assert_accessible(page) -> None:
    blocking = blocking_violations(page)
    assert blocking == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in blocking]


@pytest.fixture
def provider(oidc_enabled):
    """The stand-in provider, the portal signing in with it, and its test user."""
    oidc_enabled.users[USERNAME] = (PASSWORD, CLAIMS)
    return oidc_enabled


@pytest.fixture
def tab(chromium, site_url, provider, new_tab):
    """A tab with cookies of its own (Chromium starts before the live server, which shares the tests' connection)."""
    return new_tab(site_url)


def _account(page):
    """The participation pages' account bar, in the main content (the site header may repeat its links)."""
    return page.get_by_role("main").get_by_role("navigation", name="Tu cuenta")


def _to_the_provider(page, provider) -> None:
    page.goto("/cuentas/ingresar/")
    page.get_by_role("link", name="Ingresar con Ciudadanía Digital").click()
    page.wait_for_url(f"{provider.issuer}/auth?**")


def test_a_verified_resident_signs_in_supports_and_signs_out_everywhere(
    tab, provider, settings, proposal_factory, verified_citizen_factory
):
    # This municipality asks for identity to support, and counts verified residents towards the threshold.
    settings.AYNI_ACTION_LEVELS = {**settings.AYNI_ACTION_LEVELS, "support": "identity"}
    settings.AYNI_LEVEL_THRESHOLD = "identity"
    proposal = proposal_factory(title="Bebederos de agua en la plaza 15 de Agosto")
    # One earlier support at the e-mail level.
    Support.objects.create(proposal=proposal, user=verified_citizen_factory())
    services.support_tallies_rebuild(proposal_ids=[proposal.pk])  # counted as the service counts it

    _to_the_provider(tab, provider)
    tab.get_by_label("Usuario").fill(USERNAME)
    tab.get_by_label("Contraseña").fill(PASSWORD)
    tab.get_by_role("button", name="Permitir").click()
    tab.wait_for_url("**/participa/propuestas/")
    expect(_account(tab).get_by_role("link", name="Mi perfil")).to_be_visible()
    profile = Profile.objects.get(identity_sub=CLAIMS["sub"])
    assert profile.level == "identity" and profile.user.email == CLAIMS["email"]

    tab.goto(proposal.get_absolute_url())
    expect(tab.locator("#support-count")).to_have_text("1")
    expect(tab.locator("#identity-support-count")).to_have_text("0")
    tab.get_by_role("button", name="Apoyar esta propuesta").click()
    expect(tab.get_by_role("button", name="Retirar mi apoyo")).to_be_visible()
    expect(tab.locator("#support-count")).to_have_text("2")
    expect(tab.locator("#identity-support-count")).to_have_text("1")
    expect(tab.locator("#apoyos")).to_contain_text("de residentes verificados con Ciudadanía Digital")
    assert Support.objects.get(proposal=proposal, user=profile.user).level == "identity"
    assert_accessible(tab)

    # Signing out of the portal continues at the provider, which confirms and sends the browser back.
    _account(tab).get_by_role("button", name="Salir").click()
    tab.wait_for_url(f"{provider.issuer}/session/end?**")
    tab.get_by_role("button", name="Sí, cerrar sesión").click()
    tab.wait_for_url("**/participa/propuestas/")
    expect(_account(tab).get_by_role("link", name="Ingresar", exact=True)).to_be_visible()
    expect(tab.get_by_role("link", name="Mi perfil")).to_have_count(0)
    assert provider.logouts == [{"client_id": CLIENT_ID, "user": USERNAME}]
    # The provider's session ended too: signing in again asks for the password.
    _to_the_provider(tab, provider)
    expect(tab.get_by_label("Contraseña")).to_be_visible()


def test_consent_denied_gives_a_spanish_page_and_local_sign_in_still_works(tab, provider, verified_citizen_factory):
    local = verified_citizen_factory()  # an e-mail and password account (the factories' password)
    _to_the_provider(tab, provider)
    tab.get_by_role("button", name="Rechazar").click()
    tab.wait_for_url("**/cuentas/identidad/volver/?**")
    expect(tab.get_by_role("heading", name="No se completó el ingreso con Ciudadanía Digital")).to_be_visible()
    expect(tab.get_by_role("main").get_by_role("status")).to_have_text(
        "El ingreso fue cancelado o rechazado en Ciudadanía Digital."
    )
    assert_accessible(tab)
    tab.get_by_role("link", name="Ingresar con correo y contraseña").click()
    tab.get_by_label("Correo electrónico").fill(local.email)
    tab.get_by_label("Contraseña").fill("clave-segura-123")
    tab.get_by_role("button", name="Ingresar", exact=True).click()
    tab.wait_for_url("**/participa/propuestas/")
    expect(_account(tab).get_by_role("link", name="Mi perfil")).to_be_visible()
