"""WhatsApp Cloud API: the webhook is served only when the token is set."""

from ayni.env import env, env_int

WHATSAPP_TOKEN = env("WHATSAPP_TOKEN")
WHATSAPP_PHONE_NUMBER_ID = env("WHATSAPP_PHONE_NUMBER_ID")
WHATSAPP_APP_SECRET = env("WHATSAPP_APP_SECRET")
WHATSAPP_VERIFY_TOKEN = env("WHATSAPP_VERIFY_TOKEN")
WHATSAPP_ENABLED = bool(WHATSAPP_TOKEN and WHATSAPP_PHONE_NUMBER_ID)
# Template (approved in Meta's manager) for notifications (e.g. complaint status) sent
# outside the 24-hour customer service window; body parameters: subject, text.
WHATSAPP_STATUS_TEMPLATE = env("WHATSAPP_STATUS_TEMPLATE", "aviso_municipal")
WHATSAPP_TEMPLATE_LANGUAGE = env("WHATSAPP_TEMPLATE_LANGUAGE", "es")
# Privacy of the WhatsApp ledger (chatbot.services.purge_expired, run on a schedule):
# a sender's number (and Meta's message ids, which encode it) is kept this many days,
# enough to answer and to know whether the 24-hour window is open; then erased.
AYNI_WHATSAPP_NUMBER_RETENTION_DAYS = env_int("AYNI_WHATSAPP_NUMBER_RETENTION_DAYS", 30)
# Ledger rows (messages, replies, delivery statuses) are deleted after this many days.
AYNI_WHATSAPP_LEDGER_RETENTION_DAYS = env_int("AYNI_WHATSAPP_LEDGER_RETENTION_DAYS", 90)
