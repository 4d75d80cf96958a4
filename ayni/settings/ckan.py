"""CKAN bridge: off unless CKAN_URL is set."""

from ayni.env import env

CKAN_URL = env("CKAN_URL")
CKAN_API_TOKEN = env("CKAN_API_TOKEN")
CKAN_ORGANIZATION = env("CKAN_ORGANIZATION")
CKAN_ENABLED = bool(CKAN_URL)

# Seconds per CKAN request; failed pushes (5xx, timeouts) are retried with
# exponential backoff from CKAN_RETRY_BASE_SECONDS up to CKAN_RETRY_MAX_SECONDS.
CKAN_TIMEOUT_SECONDS = float(env("CKAN_TIMEOUT_SECONDS", "30"))
CKAN_RETRY_BASE_SECONDS = int(env("CKAN_RETRY_BASE_SECONDS", "30"))
CKAN_RETRY_MAX_SECONDS = int(env("CKAN_RETRY_MAX_SECONDS", "3600"))
# Datasets a sync sends to CKAN at once (threads sharing one keep-alive session).
CKAN_SYNC_WORKERS = int(env("CKAN_SYNC_WORKERS", "4"))
