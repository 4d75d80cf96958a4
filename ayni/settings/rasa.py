"""Rasa chatbot server (REST channel); the portal falls back to search when
it is unreachable or slower than RASA_TIMEOUT seconds."""

from ayni.env import env

RASA_URL = env("RASA_URL", "http://127.0.0.1:5005")
RASA_TIMEOUT = float(env("RASA_TIMEOUT", "4"))
# Rasa's HTTP API runs with --auth-token; the portal sends it as ?token=. Empty:
# the token `make run` generated into var/rasa_auth_token, if any (chatbot.runtime).
RASA_AUTH_TOKEN = env("RASA_AUTH_TOKEN", "")

# CHATBOT=off: the portal never calls Rasa and answers from search (fallback).
CHATBOT_RASA_ENABLED = env("CHATBOT", "on").lower() not in {"off", "0", "false", "no"}
# Conversation log retention (days); `manage.py chatbot_purge_log` deletes older entries.
CHATBOT_LOG_RETENTION_DAYS = int(env("CHATBOT_LOG_RETENTION_DAYS", "90"))
# Answer chat messages in the thread pool (see chatbot.services.chat_message_answer_async).
CHATBOT_ANSWER_IN_POOL = True
