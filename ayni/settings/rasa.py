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

# Urgent messages (chatbot.urgent): violence, a child in danger, an emergency are
# answered first with these lines and services, never with a procedure guide.
AYNI_EMERGENCY_POLICE = env("AYNI_EMERGENCY_POLICE", "110")
AYNI_EMERGENCY_AMBULANCE = env("AYNI_EMERGENCY_AMBULANCE", "118")
AYNI_EMERGENCY_FIRE = env("AYNI_EMERGENCY_FIRE", "119")
AYNI_EMERGENCY_SLIM = env("AYNI_EMERGENCY_SLIM", "SLIM (Servicio Legal Integral Municipal) de tu Subalcaldía")
AYNI_EMERGENCY_DNA = env("AYNI_EMERGENCY_DNA", "Defensoría de la Niñez y Adolescencia (DNA) de tu municipio")
