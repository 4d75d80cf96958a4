"""Accounts: registration with e-mail verification, login, logout, password reset, profile."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from participation.models import Profile
from participation.rules import is_verified

pytestmark = pytest.mark.django_db

PASSWORD = "Llama-Andina-2025"


def _register(client, email="nueva@ejemplo.bo", **extra):
    data = {"email": email, "display_name": "Nueva Vecina", "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post("/cuentas/registro/", data, REMOTE_ADDR=extra.pop("ip", "10.3.3.3"))


def test_register_verify_login_logout(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _register(client, email="Nueva@Ejemplo.bo")
    assert response.status_code == 201 and "Revisa tu correo" in response.content.decode()
    user = get_user_model().objects.get(email="nueva@ejemplo.bo")
    assert not is_verified(user)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nueva@ejemplo.bo"]
    link = re.search(r"http://testserver(/cuentas/verificar/[^/\s]+/)", mail.outbox[0].body).group(1)
    assert client.get(link).status_code == 200
    user.refresh_from_db()
    assert is_verified(user) and Profile.objects.get(user=user).display_name == "Nueva Vecina"
    # Log in by e-mail (any case), then out (POST only).
    response = client.post("/cuentas/ingresar/", {"username": "NUEVA@ejemplo.bo", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/participa/propuestas/"
    assert "Mi perfil" in client.get("/participa/propuestas/").content.decode()
    assert client.get("/cuentas/salir/").status_code == 405
    assert client.post("/cuentas/salir/").status_code == 302
    assert "Ingresar" in client.get("/participa/propuestas/").content.decode()


@pytest.mark.parametrize("token", ["basura", "eyJ1Ijo5OTk5OTksImUiOiJ4QHkuYm8ifQ:1abc:def"])
def test_bad_verification_links_are_400(client, token):
    response = client.get(f"/cuentas/verificar/{token}/")
    assert response.status_code == 400 and "no es válido" in response.content.decode()


def test_expired_verification_link(client, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _register(client)
    link = re.search(r"(/cuentas/verificar/[^/\s]+/)", mail.outbox[0].body).group(1)
    settings.AYNI_EMAIL_VERIFICATION_MAX_AGE = -1
    response = client.get(link)
    assert response.status_code == 400 and "venció" in response.content.decode()


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"password2": "otra-cosa-123"}, "Las contraseñas no coinciden"),
        ({"password1": "123", "password2": "123"}, "contraseña"),
        ({"email": "no-es-correo"}, "Escribe un correo válido"),
        ({"email": "x" * 250 + "@a.bo"}, "No puede superar los 254 caracteres"),
    ],
)
def test_bad_registrations(client, extra, message):
    before = get_user_model().objects.count()
    response = _register(client, **extra)
    assert response.status_code == 400 and message in response.content.decode()
    assert get_user_model().objects.count() == before


def test_duplicate_email_and_rate_limit(client, settings, make_user, django_capture_on_commit_callbacks):
    existing = make_user()
    with django_capture_on_commit_callbacks(execute=True):
        fresh = _register(client, email="libre@ejemplo.bo")
    with django_capture_on_commit_callbacks(execute=True):
        response = _register(client, email=existing.email.upper())
    # The same answer as for a free address: registration does not reveal accounts.
    assert response.status_code == fresh.status_code == 201
    assert response.content.decode() == fresh.content.decode().replace("libre@ejemplo.bo", existing.email.upper())
    assert "Ya existe" not in response.content.decode()
    assert get_user_model().objects.filter(email__iexact=existing.email).count() == 1
    # The owner gets a notice instead of a verification link.
    notice = mail.outbox[-1]
    assert notice.to == [existing.email] and "intentó crear una cuenta" in notice.body
    assert "/cuentas/verificar/" not in notice.body and "/cuentas/contrasena/olvide/" in notice.body
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, "register": (2, 3600)}
    assert _register(client, email="a1@ejemplo.bo", ip="10.4.4.4").status_code == 201
    assert _register(client, email="a2@ejemplo.bo", ip="10.4.4.4").status_code == 201
    assert _register(client, email="a3@ejemplo.bo", ip="10.4.4.4").status_code == 429
    assert not get_user_model().objects.filter(email="a3@ejemplo.bo").exists()


def test_password_reset(client, make_user):
    user = make_user()
    response = client.post("/cuentas/contrasena/olvide/", {"email": user.email})
    assert response.status_code == 302 and response["Location"] == "/cuentas/contrasena/enviado/"
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/cuentas/contrasena/nueva/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(form_url, {"new_password1": "Otra-Clave-Segura-9", "new_password2": "Otra-Clave-Segura-9"})
    assert response.status_code == 302 and response["Location"] == "/cuentas/contrasena/lista/"
    user.refresh_from_db()
    assert user.check_password("Otra-Clave-Segura-9")


def test_profile_edit_and_resend_verification(client, make_user, district, django_capture_on_commit_callbacks):
    user = make_user(verified=False)
    client.force_login(user)
    page = client.get("/cuentas/perfil/").content.decode()
    assert "Correo sin verificar" in page
    response = client.post("/cuentas/perfil/", {"display_name": "Vecina <b>Rosa</b>", "district": district.pk})
    assert response.status_code == 302
    profile = Profile.objects.get(user=user)
    assert profile.display_name == "Vecina Rosa" and profile.district == district
    assert client.post("/cuentas/verificar-de-nuevo/").status_code == 302
    assert len(mail.outbox) == 1 and "/cuentas/verificar/" in mail.outbox[0].body
    assert client.post("/cuentas/perfil/", {"display_name": "x" * 121}).status_code == 400


def test_password_reset_does_not_reveal_whether_an_account_exists(client, make_user, django_user_model):
    """The same answer and the same page for an address with an account, one without, and an account
    that signs in only through the identity provider (no usable password); only the first gets a link."""
    with_password = make_user()
    provider_only = django_user_model.objects.create_user(username="solo-proveedor@ejemplo.bo")
    provider_only.email = "solo-proveedor@ejemplo.bo"
    provider_only.set_unusable_password()
    provider_only.save()

    def ask(email: str):
        response = client.post("/cuentas/contrasena/olvide/", {"email": email}, REMOTE_ADDR="10.5.5.5")
        page = client.get(response["Location"])
        return response.status_code, response["Location"], page.status_code, page.content.decode()

    known = ask(with_password.email)
    unknown = ask("nadie-con-cuenta@ejemplo.bo")
    without_password = ask(provider_only.email)
    assert known == unknown == without_password
    status, location, page_status, page = known
    assert (status, location, page_status) == (302, "/cuentas/contrasena/enviado/", 200)
    assert "Si existe una cuenta con ese correo" in page
    assert [message.to for message in mail.outbox] == [[with_password.email]]
