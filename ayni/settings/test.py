"""Test settings: same switches as base, faster hashing, tasks run at once."""

from .base import *  # noqa: F401,F403
from .base import STORAGES, TASKS

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
