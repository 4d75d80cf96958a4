"""Each environment switch, checked in a fresh interpreter (settings load once)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "db": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "tasks": settings.TASKS["default"]["BACKEND"],
    "search": settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"],
    "search_settings": settings.WAGTAILSEARCH_BACKENDS["default"].get("INDEX_SETTINGS"),
    "ckan": settings.CKAN_ENABLED,
    "rasa": settings.RASA_URL,
    "whatsapp": settings.WHATSAPP_ENABLED,
    "debug": settings.DEBUG,
    "hosts": settings.ALLOWED_HOSTS,
    "secret": settings.SECRET_KEY,
    "email": settings.EMAIL_BACKEND,
}))
"""
SWITCHES = [
    "DATABASE_URL",
    "REDIS_URL",
    "ELASTICSEARCH_URL",
    "CKAN_URL",
    "CKAN_API_TOKEN",
    "RASA_URL",
    "WHATSAPP_TOKEN",
    "WHATSAPP_PHONE_NUMBER_ID",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECRET_KEY",
    "EMAIL_HOST",
]


def probe(tmp_path, **env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    clean.update({"DJANGO_SETTINGS_MODULE": "ayni.settings.dev", "AYNI_VAR_DIR": str(tmp_path)}, **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_embedded_defaults(tmp_path):
    s = probe(tmp_path)
    assert s["db"] == "django.db.backends.sqlite3" and s["db_name"] == str(tmp_path / "ayni.sqlite3")
    assert s["layer"] == "channels.layers.InMemoryChannelLayer"
    assert s["tasks"] == "django_tasks_db.DatabaseBackend"
    assert s["search"] == "wagtail.search.backends.database"
    assert s["cache"] == "ayni.cache.SharedDiskCache"  # shared by the web workers and the task worker
    assert s["ckan"] is False and s["whatsapp"] is False
    assert s["debug"] is False
    assert s["hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    assert s["email"].endswith("filebased.EmailBackend")


def test_secret_key_is_generated_once_into_var(tmp_path):
    first = probe(tmp_path)["secret"]
    assert len(first) >= 50
    assert (tmp_path / "secret_key").read_text() == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert probe(tmp_path)["secret"] == first
    assert probe(tmp_path, SECRET_KEY="from-the-environment")["secret"] == "from-the-environment"


def test_postgres_redis_elasticsearch_switches(tmp_path):
    s = probe(
        tmp_path,
        DATABASE_URL="postgres://u@db:5432/ayni",
        REDIS_URL="redis://cache:6379/0",
        ELASTICSEARCH_URL="http://es:9200",
    )
    assert s["db"] == "django.db.backends.postgresql" and s["db_name"] == "ayni"
    assert s["layer"] == "channels_redis.core.RedisChannelLayer"
    assert s["tasks"] == "django_tasks_rq.RQBackend"
    assert s["cache"] == "ayni.cache.FailOpenRedisCache"  # Django's RedisCache, failing open (ayni/cache.py)
    assert s["search"] == "wagtail.search.backends.elasticsearch9"
    analyzer = s["search_settings"]["settings"]["index"]["analysis"]["analyzer"]["default"]
    assert analyzer["filter"] == ["lowercase", "asciifolding", "spanish_stop", "light_spanish_stemmer"]


def test_integration_switches(tmp_path):
    s = probe(
        tmp_path,
        CKAN_URL="http://ckan:5000",
        RASA_URL="http://rasa:5005",
        WHATSAPP_TOKEN="t",
        WHATSAPP_PHONE_NUMBER_ID="1",
        DEBUG="1",
        ALLOWED_HOSTS="portal.ejemplo.gob.bo, www.ejemplo.gob.bo",
        EMAIL_HOST="smtp.ejemplo.gob.bo",
    )
    assert s["ckan"] is True and s["rasa"] == "http://rasa:5005" and s["whatsapp"] is True
    assert s["debug"] is True
    assert s["hosts"] == ["portal.ejemplo.gob.bo", "www.ejemplo.gob.bo"]
    assert s["email"].endswith("smtp.EmailBackend")


def test_production_requires_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    env.update(DJANGO_SETTINGS_MODULE="ayni.settings.production", AYNI_VAR_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "SECRET_KEY must be set" in out.stderr


@pytest.mark.parametrize("module", ["ayni.settings.dev", "ayni.settings.test"])
def test_settings_modules_import(tmp_path, module):
    env = {k: v for k, v in os.environ.items() if k not in SWITCHES}
    env.update(DJANGO_SETTINGS_MODULE=module, AYNI_VAR_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
