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

# Where the Cloud API is (Meta's Graph API); tests and benchmarks point it at a local stand-in.
WHATSAPP_API_BASE_URL = env("WHATSAPP_API_BASE_URL", "https://graph.facebook.com").rstrip("/")
WHATSAPP_API_TIMEOUT = 10.0  # seconds for each request to the Graph API
# Delivery of replies (chatbot.services.whatsapp_message_reply). Network errors, HTTP 5xx,
# 429 and Meta's throttling errors are retried: WHATSAPP_SEND_ATTEMPTS times per reply
# within one run of the task (pausing WHATSAPP_SEND_BACKOFF_SECONDS, doubled each time);
# then the message waits ("retry") and the task runs again WHATSAPP_RETRY_SECONDS later
# (doubled each time, at most an hour), WHATSAPP_REPLY_RUNS runs in all before it fails.
WHATSAPP_SEND_ATTEMPTS = max(1, env_int("WHATSAPP_SEND_ATTEMPTS", 3))
WHATSAPP_SEND_BACKOFF_SECONDS = 0.5
WHATSAPP_REPLY_RUNS = max(1, env_int("WHATSAPP_REPLY_RUNS", 6))
WHATSAPP_RETRY_SECONDS = max(1, env_int("WHATSAPP_RETRY_SECONDS", 60))
# A run holds its message this long (renewed before each reply); a run that died
# (worker killed) lets the next one take the message after it.
WHATSAPP_REPLY_LEASE_SECONDS = 300
# The worker takes recorded webhook deliveries in batches, each for this long: a worker
# that dies mid-batch leaves them to the next run after it (chatbot.services).
WHATSAPP_DELIVERY_LEASE_SECONDS = 60
# With the task queue in Redis, a reply task can be lost with Redis (restarted without its data,
# or down when the reply was enqueued): the worker enqueues again the reply of a message still
# waiting this long after it arrived, with no run holding it (chatbot.recovery); at most once
# per this period per message, so a long queue is not flooded with copies.
WHATSAPP_REPLY_SWEEP_SECONDS = max(1, env_int("WHATSAPP_REPLY_SWEEP_SECONDS", 120))
