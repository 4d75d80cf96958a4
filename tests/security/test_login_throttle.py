"""Login throttling (django-axes) on every login form, and password-reset limits.

Finding: 50 failed logins in a row on /cuentas/ingresar/, /admin/login/ or
/django-admin/, then a successful one; no limit on password-reset requests.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

pytestmark = pytest.mark.django_db

PASSWORD = "Clave-Correcta-2025"
WRONG = "no-es-la-clave-123"
LOGIN_FORMS = ["/cuentas/ingresar/", "/admin/login/", "/django-admin/login/"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def staff_user(db):
    return get_user_model().objects.create_superuser("vecina.admin@ejemplo.bo", "vecina.admin@ejemplo.bo", PASSWORD)


@pytest.fixture
def citizen(db):
    return get_user_model().objects.create_user("vecino@ejemplo.bo", "vecino@ejemplo.bo", PASSWORD)


def _login(client, url, username, password, *, ip="198.51.100.20", **headers):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("url", LOGIN_FORMS)
def test_login_locks_after_the_failure_limit_on_every_form(client, settings, staff_user, url):
    limit = settings.AYNI_LOGIN_FAILURE_LIMIT
    assert settings.AXES_FAILURE_LIMIT == limit == 5
    for _attempt in range(limit - 1):
        response = _login(client, url, staff_user.username, WRONG)
        assert response.status_code == 200  # the form again, with its error
    response = _login(client, url, staff_user.username, WRONG)
    assert response.status_code == 429
    # Now even the right password is refused, with the Spanish page (never a 500).
    response = _login(client, url, staff_user.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Demasiados intentos de ingreso" in page and "15 minutos" in page
    assert staff_user.username not in page
    assert not _logged_in(client)


def test_rotating_the_user_agent_or_forwarded_for_does_not_reset_the_lockout(client, staff_user):
    for n in range(5):
        _login(
            client,
            "/cuentas/ingresar/",
            staff_user.username,
            WRONG,
            HTTP_USER_AGENT=f"Navegador/{n}",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}",
        )
    for n in range(5, 10):
        response = _login(
            client,
            "/cuentas/ingresar/",
            staff_user.username.upper(),  # nor does the username's case
            PASSWORD,
            HTTP_USER_AGENT=f"Navegador/{n}",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{n}",
        )
        assert response.status_code == 429
    assert not _logged_in(client)


def test_lockout_is_per_username_and_client(client, staff_user, citizen):
    other = citizen
    for _attempt in range(5):
        _login(client, "/cuentas/ingresar/", staff_user.username, WRONG)
    assert _login(client, "/cuentas/ingresar/", staff_user.username, PASSWORD).status_code == 429
    # Someone else behind the same address is not locked out ...
    response = _login(client, "/cuentas/ingresar/", other.username, PASSWORD)
    assert response.status_code == 302 and _logged_in(client)
    client.logout()
    # ... nor is the same account from another connection.
    response = _login(client, "/cuentas/ingresar/", staff_user.username, PASSWORD, ip="198.51.100.99")
    assert response.status_code == 302 and _logged_in(client)


def test_lockout_does_not_reveal_whether_the_account_exists(client, staff_user):
    for _attempt in range(5):
        _login(client, "/cuentas/ingresar/", staff_user.username, WRONG)
        _login(client, "/cuentas/ingresar/", "nadie@ejemplo.bo", WRONG)
    known = _login(client, "/cuentas/ingresar/", staff_user.username, WRONG)
    unknown = _login(client, "/cuentas/ingresar/", "nadie@ejemplo.bo", WRONG)
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content


def test_success_resets_the_count(client, staff_user):
    for _attempt in range(4):
        _login(client, "/cuentas/ingresar/", staff_user.username, WRONG)
    assert _login(client, "/cuentas/ingresar/", staff_user.username, PASSWORD).status_code == 302
    client.logout()
    for _attempt in range(4):
        assert _login(client, "/cuentas/ingresar/", staff_user.username, WRONG).status_code == 200
    assert _login(client, "/cuentas/ingresar/", staff_user.username, PASSWORD).status_code == 302


def test_behind_a_trusted_proxy_the_real_client_is_locked_not_the_spoofed_one(client, settings, staff_user):
    settings.AYNI_TRUSTED_PROXIES = 1
    proxy = "10.0.0.2"
    for n in range(5):
        _login(
            client,
            "/admin/login/",
            staff_user.username,
            WRONG,
            ip=proxy,
            HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7",
        )
    spoofed = _login(
        client, "/admin/login/", staff_user.username, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="8.8.8.8, 203.0.113.7"
    )
    assert spoofed.status_code == 429
    # Another resident behind the same proxy is a different client.
    other = _login(client, "/admin/login/", staff_user.username, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 302 and _logged_in(client)


def test_no_client_data_of_login_attempts_is_stored_or_logged(client, staff_user, caplog):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    with caplog.at_level(logging.DEBUG):
        for _attempt in range(6):
            _login(client, "/cuentas/ingresar/", staff_user.username, WRONG, HTTP_USER_AGENT="Navegador-Unico/1.0")
        _login(client, "/cuentas/ingresar/", staff_user.username, PASSWORD, ip="198.51.100.99")
    assert AccessAttempt.objects.count() == AccessLog.objects.count() == AccessFailureLog.objects.count() == 0
    assert "AXES" in caplog.text  # axes did log ...
    for private in ("198.51.100.20", "198.51.100.99", "Navegador-Unico", staff_user.username):
        assert private not in caplog.text  # ... but nothing about the client


def test_limit_and_cooloff_come_from_the_environment(tmp_path):
    probe = (
        "import django; django.setup(); from django.conf import settings; from axes.helpers import get_cache_timeout;"
        "print(settings.AXES_FAILURE_LIMIT, get_cache_timeout())"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ayni.settings.test",
        "AYNI_VAR_DIR": str(tmp_path),
        "AYNI_LOGIN_FAILURE_LIMIT": "3",
        "AYNI_LOGIN_COOLOFF_MINUTES": "2",
    }
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3", "120"]


def test_lower_limit_from_settings_applies(client, settings, staff_user):
    settings.AXES_FAILURE_LIMIT = 2
    _login(client, "/cuentas/ingresar/", staff_user.username, WRONG)
    assert _login(client, "/cuentas/ingresar/", staff_user.username, WRONG).status_code == 429


# --- password reset -------------------------------------------------------------


def _reset(client, email, ip="198.51.100.30", **headers):
    return client.post("/cuentas/contrasena/olvide/", {"email": email}, REMOTE_ADDR=ip, **headers)


def test_password_reset_is_limited_per_address(client, citizen):
    user = citizen
    for n in range(3):  # AYNI_RATE_PASSWORD_RESET_EMAIL
        assert _reset(client, user.email, ip=f"198.51.100.{40 + n}").status_code == 302
    assert _reset(client, user.email.upper(), ip="198.51.100.50").status_code == 429
    assert len(mail.outbox) == 3
    # An address without an account counts the same (the limit reveals nothing).
    for n in range(3):
        assert _reset(client, "nadie@ejemplo.bo", ip=f"198.51.100.{60 + n}").status_code == 302
    assert _reset(client, "nadie@ejemplo.bo", ip="198.51.100.70").status_code == 429


def test_password_reset_is_limited_per_client_whatever_the_user_agent(client):
    for n in range(5):  # AYNI_RATE_PASSWORD_RESET
        response = _reset(client, f"p{n}@ejemplo.bo", HTTP_USER_AGENT=f"UA/{n}", HTTP_X_FORWARDED_FOR=f"10.1.1.{n}")
        assert response.status_code == 302
    response = _reset(client, "p9@ejemplo.bo", HTTP_USER_AGENT="UA/9", HTTP_X_FORWARDED_FOR="10.1.1.9")
    assert response.status_code == 429 and "Demasiados intentos" in response.content.decode()
