"""Settings for the worker-crash test's own processes (tests/chatbot/test_worker_crash.py).

The embedded default with short timeouts, so that a dead worker's work is taken over within seconds.
"""

from ayni.settings.dev import *  # noqa: F401,F403

AYNI_TASK_STALE_SECONDS = 4  # a task RUNNING this long belonged to a dead worker
AYNI_TASK_SWEEP_SECONDS = 1
WHATSAPP_REPLY_LEASE_SECONDS = 4
WHATSAPP_DELIVERY_LEASE_SECONDS = 4
