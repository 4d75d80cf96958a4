"""Rasa chatbot server (REST channel); the portal falls back to search when
it is unreachable or slower than RASA_TIMEOUT seconds."""

from ayni.env import env

RASA_URL = env("RASA_URL", "http://127.0.0.1:5005")
RASA_TIMEOUT = float(env("RASA_TIMEOUT", "4"))
