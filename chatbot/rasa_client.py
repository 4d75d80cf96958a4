"""The portal's HTTP client for the Rasa NLU server (``POST /model/parse``).

Rasa only understands; the portal answers (``chatbot.dialogue``). A network
error, a timeout (``RASA_TIMEOUT``), an answer without a model or a malformed
answer raises :class:`RasaUnavailable` and the caller uses the fallback
understanding. After a failure Rasa is not asked again for
``CHATBOT_RASA_RETRY_SECONDS`` (per process), so a Rasa that is down or still
training costs nothing; after that pause the next message tries it again, so a
Rasa that comes back is used without restarting the portal.
"""

from __future__ import annotations

import threading
import time

import httpx
from django.conf import settings


class RasaUnavailable(Exception):
    pass


_client: httpx.Client | None = None
_lock = threading.Lock()
_down_until = 0.0


def _http() -> httpx.Client:
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                _client = httpx.Client(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
    return _client


def _auth() -> dict[str, str]:
    """Rasa's HTTP API token (``--auth-token``), sent as the ``token`` query parameter."""
    from chatbot.runtime import stored_auth_token

    token = settings.RASA_AUTH_TOKEN or stored_auth_token()
    return {"token": token} if token else {}


def available() -> bool:
    """False while Rasa is switched off or paused after a failure."""
    return settings.CHATBOT_RASA_ENABLED and time.monotonic() >= _down_until


def mark_down() -> None:
    global _down_until
    _down_until = time.monotonic() + settings.CHATBOT_RASA_RETRY_SECONDS


def reset() -> None:
    global _down_until
    _down_until = 0.0


def parse(*, text: str, timeout: float | None = None) -> dict:
    """Rasa's NLU parse of ``text``: ``{"intent": {"name", "confidence"}, "entities": [...], ...}``."""
    if not available():
        raise RasaUnavailable("disabled" if not settings.CHATBOT_RASA_ENABLED else "paused after a failure")
    try:
        response = _http().post(
            f"{settings.RASA_URL.rstrip('/')}/model/parse",
            json={"text": text},
            params=_auth(),
            timeout=timeout or settings.RASA_TIMEOUT,
        )
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        mark_down()
        raise RasaUnavailable(str(exc) or exc.__class__.__name__) from exc
    if not isinstance(data, dict) or not isinstance(data.get("intent"), dict):
        mark_down()  # no model loaded yet: Rasa answers without an intent
        raise RasaUnavailable("no intent in the answer")
    return data


def load_model(*, model_path: str, timeout: float = 300) -> None:
    """Replace the running server's model (``PUT /model``) without restarting it."""
    response = _http().put(
        f"{settings.RASA_URL.rstrip('/')}/model",
        json={"model_file": model_path},
        params=_auth(),
        timeout=timeout,
    )
    response.raise_for_status()
    reset()
