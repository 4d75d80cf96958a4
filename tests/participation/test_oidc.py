"""Sign-in with an OpenID Connect provider (Ciudadanía Digital) against a stand-in provider on loopback.

The stand-in (tests/participation/oidc_provider.py) is a real HTTP server (a
thread) with the provider's endpoints: discovery, keys (JWKS), token (checks the
code, the client and the PKCE verifier) and userinfo; its ID tokens are signed
with an RSA key made there. The portal talks to it over HTTP exactly as to the
real provider. The browser test (e2e/test_oidc_browser.py) goes through its
sign-in, consent and sign-out pages.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from participation.models import Profile
from participation.rules import can
from tests.participation.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider

pytestmark = pytest.mark.django_db

CARNET = "7654321-LP"  # an identity-card number the provider sends and the portal must never keep


@pytest.fixture
def provider(settings):
    stand_in = Provider().start()
    settings.OIDC_ISSUER = stand_in.issuer
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ENABLED = True
    cache.delete(f"oidc:discovery:{stand_in.issuer}")
    yield stand_in
    stand_in.stop()
    cache.delete(f"oidc:discovery:{stand_in.issuer}")


def _claims(**extra) -> dict:
    return {
        "sub": "cd-0001",
        "name": "Juana Mamani Quispe",
        "email": "juana@ejemplo.bo",
        "email_verified": True,
        "documento_identidad": CARNET,
        "fecha_nacimiento": "1990-05-17",
        "profile": {"documento_identidad": {"numero_documento": CARNET}},
        **extra,
    }


def _start(client):
    response = client.get("/cuentas/identidad/ingresar/")
    assert response.status_code == 302
    return response["Location"]


def _sign_in(client, provider, claims):
    location = _start(client)
    code = provider.authorize(location, claims)
    state = parse_qs(urlsplit(location).query)["state"][0]
    return client.get("/cuentas/identidad/volver/", {"code": code, "state": state})


def test_button_and_urls_absent_when_unconfigured(client, settings):
    settings.OIDC_ENABLED = False
    page = client.get("/cuentas/ingresar/").content.decode()
    assert "Ingresar con" not in page and "/cuentas/identidad/" not in page
    assert client.get("/cuentas/identidad/ingresar/").status_code == 404
    assert client.get("/cuentas/identidad/volver/", {"code": "x", "state": "y"}).status_code == 404
    assert client.get("/cuentas/identidad/vincular/").status_code == 404


def test_button_shown_when_configured(client, provider, settings):
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    page = client.get("/cuentas/ingresar/").content.decode()
    assert "Ingresar con Ciudadanía Digital" in page and "/cuentas/identidad/ingresar/" in page


def test_login_redirect_carries_pkce_state_and_nonce(client, provider):
    location = _start(client)
    assert location.startswith(f"{provider.issuer}/auth?")
    params = parse_qs(urlsplit(location).query)
    assert params["code_challenge_method"] == ["S256"] and len(params["code_challenge"][0]) >= 43
    assert len(params["state"][0]) >= 32 and len(params["nonce"][0]) >= 32
    assert params["redirect_uri"] == ["http://testserver/cuentas/identidad/volver/"]
    assert set(params["scope"][0].split()) >= {"openid", "email"}


def test_new_person_gets_an_account_at_identity_level(client, provider):
    response = _sign_in(client, provider, _claims())
    assert response.status_code == 302 and response["Location"] == "/participa/propuestas/"
    # The token request carried the PKCE verifier (the stand-in checked it against the challenge)
    # and the client's credentials by HTTP Basic, the provider's only method here.
    assert provider.token_requests[-1]["code_verifier"]
    assert provider.token_requests[-1]["auth_method"] == "client_secret_basic"
    user = get_user_model().objects.get(email="juana@ejemplo.bo")
    profile = Profile.objects.get(user=user)
    assert profile.level == "identity" and profile.identity_sub == "cd-0001"
    assert profile.identity_provider == provider.issuer and profile.display_name == "Juana Mamani Quispe"
    assert not user.has_usable_password()
    assert "Mi perfil" in client.get("/participa/propuestas/").content.decode()
    assert can(user, "support")
    # A second sign-in finds the same account.
    client.post("/cuentas/salir/")
    assert _sign_in(client, provider, _claims()).status_code == 302
    assert get_user_model().objects.filter(email="juana@ejemplo.bo").count() == 1
    # A deactivated account's session ends.
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert "Mi perfil" not in client.get("/participa/propuestas/").content.decode()


def test_no_claim_but_the_allowed_ones_is_stored(client, provider):
    assert _sign_in(client, provider, _claims()).status_code == 302
    needles = [CARNET, "1990-05-17", "documento_identidad", "fecha_nacimiento"]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from introspection)
            text = repr(cursor.fetchall())
            for needle in needles:
                assert needle not in text, (table, needle)
    # Session data is encoded in its row: decoded, it holds no claim either (nor the tokens).
    for session in Session.objects.all():
        decoded = json.dumps(session.get_decoded())
        assert all(needle not in decoded for needle in needles)
        assert not {"oidc_id_token", "oidc_access_token"} & set(session.get_decoded())
    assert apps.get_model("participation", "Profile").objects.count() >= 1


def test_client_secret_post_when_the_provider_takes_only_that(client, provider):
    provider.auth_methods = ["client_secret_post"]
    assert _sign_in(client, provider, _claims())["Location"] == "/participa/propuestas/"
    assert provider.token_requests[-1]["auth_method"] == "client_secret_post"


def test_wrong_state_is_refused_in_spanish(client, provider):
    location = _start(client)
    code = provider.authorize(location, _claims())
    response = client.get("/cuentas/identidad/volver/", {"code": code, "state": "estado-falso"})
    assert response.status_code == 400
    assert "no es válida" in response.content.decode()
    assert not get_user_model().objects.filter(email="juana@ejemplo.bo").exists()
    # Without any pending sign-in at all the callback is refused too.
    response = client.__class__().get("/cuentas/identidad/volver/", {"code": code, "state": "x"})
    assert response.status_code == 400 and "No pudimos verificar tu identidad" in response.content.decode()


def test_bad_signature_is_refused(client, provider):
    provider.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = _sign_in(client, provider, _claims())
    assert response.status_code == 400 and "no es válida" in response.content.decode()
    assert not get_user_model().objects.filter(email="juana@ejemplo.bo").exists()
    assert "_auth_user_id" not in client.session


def test_replayed_code_and_denied_consent_give_spanish_messages(client, provider):
    location = _start(client)
    code = provider.authorize(location, _claims())
    provider.codes.pop(code)  # expired or already used at the provider
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get("/cuentas/identidad/volver/", {"code": code, "state": state})
    assert response.status_code == 400 and "rechazó el ingreso" in response.content.decode()
    location = _start(client)
    state = parse_qs(urlsplit(location).query)["state"][0]
    response = client.get("/cuentas/identidad/volver/", {"error": "access_denied", "state": state})
    assert response.status_code == 400 and "cancelado o rechazado" in response.content.decode()
    # Local sign-in still works.
    assert client.get("/cuentas/ingresar/").status_code == 200


def test_provider_down_gives_a_spanish_page(client, settings):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_ENABLED = True
    settings.OIDC_TIMEOUT = 2
    cache.delete("oidc:discovery:http://127.0.0.1:9")
    response = client.get("/cuentas/identidad/ingresar/")
    assert response.status_code == 502 and "No pudimos comunicarnos" in response.content.decode()


def test_existing_verified_email_is_linked_only_after_confirmation(client, provider, make_user):
    existing = make_user(verified=False)
    response = _sign_in(client, provider, _claims(email=existing.email.upper()))
    assert response.status_code == 302 and response["Location"] == "/cuentas/identidad/vincular/"
    assert "_auth_user_id" not in client.session
    profile = Profile.objects.get(user=existing)
    assert profile.identity_sub == "" and profile.level == ""
    page = client.get("/cuentas/identidad/vincular/")
    assert page.status_code == 200 and existing.email in page.content.decode()
    response = client.post("/cuentas/identidad/vincular/", {"confirm": "1"})
    assert response.status_code == 302 and int(client.session["_auth_user_id"]) == existing.pk
    profile.refresh_from_db()
    assert profile.level == "identity" and profile.identity_sub == "cd-0001" and profile.email_verified
    assert get_user_model().objects.filter(email__iexact=existing.email).count() == 1
    # The confirmation is used up.
    assert client.post("/cuentas/identidad/vincular/", {"confirm": "1"}).status_code == 400


def test_a_link_to_confirm_is_not_a_failed_sign_in(client, provider, make_user):
    existing = make_user()
    failures = []

    def record(sender, **kwargs):
        failures.append(kwargs)

    user_login_failed.connect(record)
    try:
        for _attempt in range(3):
            assert (
                _sign_in(client, provider, _claims(email=existing.email))["Location"] == "/cuentas/identidad/vincular/"
            )
    finally:
        user_login_failed.disconnect(record)
    assert failures == []


def test_link_can_be_cancelled(client, provider, make_user):
    existing = make_user()
    _sign_in(client, provider, _claims(email=existing.email))
    response = client.post("/cuentas/identidad/vincular/", {"cancel": "1"})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    assert Profile.objects.get(user=existing).identity_sub == ""


def test_unverified_provider_email_never_links(client, provider, make_user):
    existing = make_user()
    response = _sign_in(client, provider, _claims(email=existing.email, email_verified=False))
    assert response.status_code == 400 and "no lo verificó" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert Profile.objects.get(user=existing).identity_sub == ""


def test_logout_signs_out_at_the_provider_too(client, provider):
    _sign_in(client, provider, _claims())
    response = client.post("/cuentas/salir/")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{provider.issuer}/session/end"
    params = parse_qs(location.query)
    assert params["client_id"] == [CLIENT_ID]
    assert params["post_logout_redirect_uri"] == ["http://testserver/participa/propuestas/"]
    assert "_auth_user_id" not in client.session


def test_password_accounts_sign_out_locally(client, provider, make_user):
    user = make_user()
    client.force_login(user)
    assert client.post("/cuentas/salir/")["Location"] == "/participa/propuestas/"


def test_identity_level_timestamps(make_user):
    user = make_user(verified=False)
    profile = Profile.objects.get(user=user)
    assert profile.level == ""
    profile.email_verified_at = timezone.now()
    assert profile.level == "email"
    profile.identity_verified_at = timezone.now()
    assert profile.level == "identity"


def test_action_levels_follow_the_setting(settings, make_user):
    email_only = make_user()
    unverified = make_user(verified=False)
    resident = make_user()
    Profile.objects.filter(user=resident).update(
        identity_provider="https://p", identity_sub="s", identity_verified_at=timezone.now()
    )
    resident.refresh_from_db()
    # Default: the e-mail level, as before (is_verified).
    assert can(email_only, "support") and can(resident, "support") and not can(unverified, "support")
    settings.AYNI_ACTION_LEVELS = {**settings.AYNI_ACTION_LEVELS, "support": "identity", "report": "identity"}
    email_only = get_user_model().objects.get(pk=email_only.pk)
    resident = get_user_model().objects.get(pk=resident.pk)
    assert not can(email_only, "support") and not can(email_only, "report")
    assert can(email_only, "propose") and can(email_only, "comment")
    assert can(resident, "support") and can(resident, "report")


def test_signed_in_person_verifies_identity_from_the_profile(client, provider, make_user):
    user = make_user()
    client.force_login(user)
    page = client.get("/cuentas/perfil/").content.decode()
    assert "Verificar tu identidad con" in page
    # The provider's e-mail may differ from the account's: the person is already signed in.
    response = _sign_in(client, provider, _claims(email="otra@ejemplo.bo"))
    assert response["Location"] == "/cuentas/identidad/vincular/"
    assert Profile.objects.get(user=user).level == "email"
    response = client.post("/cuentas/identidad/vincular/", {"confirm": "1"})
    assert response.status_code == 302 and response["Location"] == "/cuentas/perfil/"
    assert Profile.objects.get(user=user).level == "identity"
    assert not get_user_model().objects.filter(email="otra@ejemplo.bo").exists()
    assert "Identidad verificada" in client.get("/cuentas/perfil/").content.decode()
    # That identity now belongs to this account: another account cannot take it.
    other = make_user()
    client.force_login(other)
    response = _sign_in(client, provider, _claims(email="otra@ejemplo.bo"))
    assert response.status_code == 400 and "ya está vinculada a otra cuenta" in response.content.decode()


def test_the_sign_out_form_may_end_at_the_provider(client, provider, settings):
    """RP-initiated logout: the sign-out form's redirect goes to the provider, and browsers apply
    the page's form-action to it (the browser test signs out through it)."""

    def form_action(response) -> list[str]:
        header = response.get("Content-Security-Policy") or response["Content-Security-Policy-Report-Only"]
        directive = next(d.strip() for d in header.split(";") if d.strip().startswith("form-action"))
        return directive.split()[1:]

    assert form_action(client.get("/participa/propuestas/")) == ["'self'", provider.issuer]
    settings.OIDC_ENABLED = False
    assert form_action(client.get("/participa/propuestas/")) == ["'self'"]


def test_a_provider_that_signs_with_pss(client, provider, settings):
    """Some providers sign ID tokens with RSASSA-PSS (PS256): OIDC_SIGN_ALGO follows them."""
    provider.sign_alg = "PS256"
    response = _sign_in(client, provider, _claims())
    # Not the algorithm the portal expects: refused in Spanish, nobody signed in.
    assert response.status_code == 400 and "no es válida" in response.content.decode()
    assert "_auth_user_id" not in client.session
    settings.OIDC_RP_SIGN_ALGO = "PS256"
    assert _sign_in(client, provider, _claims())["Location"] == "/participa/propuestas/"
    assert Profile.objects.get(identity_sub="cd-0001").level == "identity"
    # A forged PSS signature is refused as well.
    client.post("/cuentas/salir/")
    provider.sign_with = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    response = _sign_in(client, provider, _claims())
    assert response.status_code == 400 and "_auth_user_id" not in client.session


def test_an_expired_id_token_is_refused_in_spanish(client, provider):
    provider.token_lifetime = -60
    response = _sign_in(client, provider, _claims())
    assert response.status_code == 400 and "no es válida" in response.content.decode()
    assert not get_user_model().objects.filter(email="juana@ejemplo.bo").exists()
