"""CKAN bridge: off unless CKAN_URL is set."""

from ayni.env import env

CKAN_URL = env("CKAN_URL")
CKAN_API_TOKEN = env("CKAN_API_TOKEN")
CKAN_ORGANIZATION = env("CKAN_ORGANIZATION")
CKAN_ENABLED = bool(CKAN_URL)
