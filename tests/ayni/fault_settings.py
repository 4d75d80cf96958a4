"""Settings for the processes of tests/ayni/test_fault_redis.py: the worker-crash test's short
leases and sweeps (tests/chatbot/crash_settings.py), with static files without a manifest (no
collectstatic in the test)."""

from tests.chatbot.crash_settings import *  # noqa: F401,F403
from tests.chatbot.crash_settings import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
