"""The portal's HTTP client for the Rasa server (REST channel + tracker).

Every call shares one deadline (``RASA_TIMEOUT``); any network error, timeout
or malformed answer raises :class:`RasaUnavailable` and the caller falls back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
from django.conf import settings


class RasaUnavailable(Exception):
    pass


@dataclass
class RasaAnswer:
    replies: list[dict]
    intent: str = ""
    confidence: float | None = None
    meta: dict = field(default_factory=dict)  # what the action server attached (guide, asks, answered)


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    global _client
    if _client is None:
        _client = httpx.Client(limits=httpx.Limits(max_connections=50, max_keepalive_connections=20))
    return _client


def _auth() -> dict[str, str]:
    """Rasa's HTTP API token (``--auth-token``), sent as the ``token`` query parameter."""
    from chatbot.runtime import stored_auth_token

    token = settings.RASA_AUTH_TOKEN or stored_auth_token()
    return {"token": token} if token else {}


def rasa_converse(*, sender: str, text: str) -> RasaAnswer:
    """Send a message to Rasa's REST channel, then read the parsed intent from the tracker."""
    if not settings.CHATBOT_RASA_ENABLED:
        raise RasaUnavailable("disabled")
    base = settings.RASA_URL.rstrip("/")
    deadline = time.monotonic() + settings.RASA_TIMEOUT
    try:
        response = _http().post(
            f"{base}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            params=_auth(),
            timeout=_remaining(deadline),
        )
        response.raise_for_status()
        messages = response.json()
        tracker = _http().get(
            f"{base}/conversations/{quote(sender, safe='')}/tracker",
            params={"include_events": "NONE", **_auth()},
            timeout=_remaining(deadline),
        )
        tracker.raise_for_status()
        latest = tracker.json().get("latest_message") or {}
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise RasaUnavailable(str(exc) or exc.__class__.__name__) from exc
    if not isinstance(messages, list):
        raise RasaUnavailable("unexpected answer")
    replies: list[dict] = []
    meta: dict = {}
    for message in messages:
        if not isinstance(message, dict):
            continue
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("ayni"), dict):
            meta.update(custom["ayni"])
        if message.get("text"):
            replies.append(
                {
                    "text": str(message["text"]),
                    "buttons": [
                        {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
                        for b in message.get("buttons") or []
                        if isinstance(b, dict)
                    ],
                }
            )
    intent = latest.get("intent") or {}
    return RasaAnswer(
        replies=replies,
        intent=str(intent.get("name") or ""),
        confidence=float(intent["confidence"]) if intent.get("confidence") is not None else None,
        meta=meta,
    )


def rasa_parse(*, text: str, timeout: float | None = None) -> dict:
    """Rasa's own NLU parse (``/model/parse``): used by the benchmark as the reference."""
    response = _http().post(
        f"{settings.RASA_URL.rstrip('/')}/model/parse",
        json={"text": text},
        params=_auth(),
        timeout=timeout or settings.RASA_TIMEOUT,
    )
    response.raise_for_status()
    return response.json()


def _remaining(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpx.TimeoutException("Rasa deadline passed")
    return left
