"""The Rasa NLU server (``/model/parse``): it understands, the portal answers.
When it is unreachable, has no model yet or is slower than RASA_TIMEOUT
seconds, the portal's built-in understanding takes over."""

from ayni.env import env

RASA_URL = env("RASA_URL", "http://127.0.0.1:5005")
RASA_TIMEOUT = float(env("RASA_TIMEOUT", "2"))
# After a failure, Rasa is tried again after this many seconds (per process).
CHATBOT_RASA_RETRY_SECONDS = 10
# Rasa's HTTP API runs with --auth-token; the portal sends it as ?token=. Empty:
# the token `make run` generated into var/rasa_auth_token, if any (chatbot.runtime).
RASA_AUTH_TOKEN = env("RASA_AUTH_TOKEN", "")

# CHATBOT=off: the portal never calls Rasa and answers with its built-in understanding.
CHATBOT_RASA_ENABLED = env("CHATBOT", "on").lower() not in {"off", "0", "false", "no"}
# Retrain the NLU model in the background when guides are published or unpublished.
CHATBOT_RETRAIN = CHATBOT_RASA_ENABLED
# Conversation log retention (days); `manage.py chatbot_purge_log` deletes older entries.
CHATBOT_LOG_RETENTION_DAYS = int(env("CHATBOT_LOG_RETENTION_DAYS", "90"))
# A conversation's state (last guide, options offered) is forgotten after this many idle minutes.
CHATBOT_CONVERSATION_MINUTES = 30
# Answer chat messages in the thread pool (see chatbot.services.chat_message_answer_async).
CHATBOT_ANSWER_IN_POOL = True

# Urgent messages (chatbot.urgent): violence, a child in danger, an emergency are
# answered first with these lines and services, never with a procedure guide.
AYNI_EMERGENCY_POLICE = env("AYNI_EMERGENCY_POLICE", "110")
AYNI_EMERGENCY_AMBULANCE = env("AYNI_EMERGENCY_AMBULANCE", "118")
AYNI_EMERGENCY_FIRE = env("AYNI_EMERGENCY_FIRE", "119")
AYNI_EMERGENCY_SLIM = env("AYNI_EMERGENCY_SLIM", "SLIM (Servicio Legal Integral Municipal) de tu Subalcaldía")
AYNI_EMERGENCY_DNA = env("AYNI_EMERGENCY_DNA", "Defensoría de la Niñez y Adolescencia (DNA) de tu municipio")
