"""/health/ tells the public ok or degraded only; details are for signed-in staff."""

from __future__ import annotations

import json

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db
DOWN_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_the_public_answer_names_no_vendor_or_component(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert connection.vendor not in response.content.decode()


def test_staff_get_the_details(client, admin_user):
    client.force_login(admin_user)
    body = client.get("/health/").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "vendor": connection.vendor}


def test_ordinary_users_get_no_details(client, django_user_model):
    user = django_user_model.objects.create_user("vecina", "vecina@ejemplo.bo", "una-clave-larga-segura")
    client.force_login(user)
    assert client.get("/health/").json() == {"status": "ok"}


def test_redis_down_is_degraded_without_error_names_and_never_a_500(client, settings):
    settings.REDIS_URL = DOWN_REDIS
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DOWN_REDIS}}
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded"}
    text = response.content.decode()
    assert "Error" not in text and "redis" not in text.lower() and connection.vendor not in text


def test_staff_see_which_check_failed(client, admin_user, settings):
    client.force_login(admin_user)  # the session lives in the database: still readable
    settings.REDIS_URL = DOWN_REDIS
    body = json.loads(client.get("/health/").content)
    assert body["status"] == "degraded"
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["redis"]["error"]
    assert body["checks"]["database"]["ok"] is True
