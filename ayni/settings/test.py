"""Test settings: same switches as base, faster hashing, tasks run at once."""

from .base import *  # noqa: F401,F403
from .base import STORAGES, TASKS, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "opendata_private": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Background work runs inline in tests unless a test asks for the real queue.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}, "queue": TASKS["default"]}

# Publishing a guide in a test never trains a Rasa model (tests that need it switch it on).
CHATBOT_RETRAIN = False

# The embedded default's disk cache in a directory of the tests' own (never the one `make run` uses);
# servers that tests start in a subprocess have their own AYNI_VAR_DIR, shared by their processes.
if CACHES["default"]["BACKEND"] == "ayni.cache.SharedDiskCache":  # noqa: F405
    CACHES = {"default": {**CACHES["default"], "LOCATION": str(VAR_DIR / "cache-test")}}  # noqa: F405
