"""Redis down means slower, not broken: with REDIS_URL pointing at a port where
nothing listens, pages, /health/, rate-limited API calls and logins still answer
(never a 500), and the cache logs one warning with no client data."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache import cache
from django.db import connection

from ayni import cache as ayni_cache

pytestmark = pytest.mark.django_db


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # free again once closed: nothing listens there


@pytest.fixture
def redis_down(settings):
    """The settings of a deployment with REDIS_URL (ayni/settings/redis.py), with Redis unreachable."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "ayni.cache.FailOpenRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "ayni-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    ayni_cache.reset()
    _axes_forgets_its_cache()
    yield url
    ayni_cache.reset()
    _axes_forgets_its_cache()


def _axes_forgets_its_cache() -> None:
    """django-axes keeps the cache it found first for the whole process: make it look again."""
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None


def test_the_settings_use_the_fail_open_backend_with_timeouts(monkeypatch):
    import importlib

    from ayni.settings import redis as redis_settings

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("REDIS_SOCKET_TIMEOUT", "0.5")
    try:
        module = importlib.reload(redis_settings)
        default = module.CACHES["default"]
        assert default["BACKEND"] == "ayni.cache.FailOpenRedisCache"
        assert default["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    finally:
        monkeypatch.undo()
        importlib.reload(redis_settings)


def test_pages_health_and_rate_limited_calls_answer_without_redis(guide_page, client, redis_down, caplog):
    caplog.set_level(logging.INFO)  # guide_page (first argument) was made before Redis went down
    home = client.get("/")
    assert home.status_code == 200
    guide = client.get(guide_page.url)
    assert guide.status_code == 200 and b"<html" in guide.content.lower()
    assert client.get(guide_page.url).status_code == 200  # rendered again, not from a cache
    index = client.get("/tramites/")
    assert index.status_code == 200
    # Rate-limited API call (POST /api/complaints/lookup/ counts per client): answered as usual.
    lookup = client.post("/api/complaints/lookup/", {"code": "RC-7K4MX-2Q9PA"}, content_type="application/json")
    assert lookup.status_code in (200, 404), lookup.content
    health = client.get("/health/")
    assert health.status_code == 503 and health.json() == {"status": "degraded"}
    warnings = [r for r in caplog.records if r.name == "ayni.cache" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # one line per outage, not per call
    line = warnings[0].getMessage()
    assert "ConnectionError" in line
    assert "127.0.0.1" not in line and redis_down not in line and "RC-" not in line


def test_rate_limits_fail_open(redis_down, settings):
    from ayni.ratelimit import hit

    for _ in range(5):
        hit(scope="test", key="client", limit=1, window=60)  # never counted, never refused


def test_the_backend_answers_missing_and_not_stored(redis_down):
    assert cache.get("k") is None and cache.get("k", 7) == 7
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.get_many(["k", "j"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.has_key("k") is False and cache.delete("k") is False and cache.touch("k") is False
    assert cache.incr("k") == 1 and cache.incr("k", 5) == 5  # a counter that just started: no limit is reached
    assert cache.decr("k") == -1
    assert cache.get_or_set("k", 3) == 3
    cache.delete_many(["a"])
    cache.clear()


def test_login_throttling_fails_open(client, redis_down, django_user_model):
    """django-axes keeps its failure counts in the cache: the login form still answers."""
    django_user_model.objects.create_user("vecina", "vecina@ejemplo.bo", "una-clave-larga-segura")
    response = client.post("/cuentas/ingresar/", {"username": "vecina", "password": "otra-clave-equivocada"})
    assert response.status_code in (200, 302)
    ok = client.post("/cuentas/ingresar/", {"username": "vecina", "password": "una-clave-larga-segura"})
    assert ok.status_code == 302


def test_a_working_cache_is_used_again_after_the_pause(redis_down, monkeypatch):
    """After a failure the backend skips Redis for a few seconds, then tries again."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCacheClient

    calls = []
    original = RedisCacheClient.get

    def counted_get(self, key, default):
        calls.append(key)
        return original(self, key, default)

    monkeypatch.setattr(RedisCacheClient, "get", counted_get)
    instance = caches["default"]
    assert instance.get("x", "d") == "d"  # fails, opens the pause
    assert instance.get("x", "d") == "d"  # skipped: Redis is not called
    assert len(calls) == 1
    monkeypatch.setattr(ayni_cache, "RETRY_SECONDS", 0.0)
    ayni_cache.reset()
    instance.get("x", "d")
    assert len(calls) == 2


def test_health_without_redis_names_nothing(client, redis_down):
    text = client.get("/health/").content.decode()
    assert "redis" not in text.lower() and connection.vendor not in text
