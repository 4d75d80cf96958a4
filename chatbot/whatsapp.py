"""The WhatsApp Cloud API through pywa, used without its own server.

The portal's Django views serve the webhook; pywa checks the challenge and the
``X-Hub-Signature-256`` signature and sends messages (text, reply buttons,
lists, templates) to the Graph API at ``WHATSAPP_API_BASE_URL`` (Meta's by
default; tests and benchmarks point it at a local stand-in).

Each send is retried within the call when it certainly or probably did not
reach Meta, or Meta asked to come back: network errors (no connection, time
out, connection dropped), HTTP 5xx and 429, and Meta's throttling errors
(pywa's ``ThrottlingError``: codes 4, 80007, 130429, 131048, 131056, sent with
HTTP 400). Other 4xx (a bad token, a number that cannot receive, a bad
payload) would fail again: they are not retried. ``WhatsAppSendError.retryable``
tells the caller which kind of failure it was, so that it can try again later.
The Cloud API has no idempotency key: a request whose answer was lost after
Meta accepted it (a read timeout) may be delivered twice when retried; that
rare duplicate is the price of never losing a reply to a network error.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import random
import re
import time

from django.conf import settings
from django.utils.translation import gettext as _

from ayni import jsonsafe

MAX_BUTTON_TITLE = 20
MAX_ROW_TITLE = 24
MAX_ROW_DESCRIPTION = 72
MAX_TEXT = 4096
# Meta's deliveries nest about eight levels deep; anything far deeper is not one.
MAX_DEPTH = 32
_SIGNATURE = re.compile(r"sha256=([0-9a-fA-F]{64})")
MAX_PAUSE = 10.0  # seconds: the longest pause between two attempts (Retry-After included)

logger = logging.getLogger(__name__)


class WhatsAppSendError(Exception):
    """A message Meta did not accept. The text names the failure only (no number, no message text)."""

    def __init__(self, reason: str, *, retryable: bool = False):
        super().__init__(reason)
        self.retryable = retryable


@functools.lru_cache(maxsize=4)
def _client(phone_id: str, token: str, app_secret: str, verify_token: str, base_url: str, timeout: float):
    import httpx
    from pywa import WhatsApp

    session = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)))
    wa = WhatsApp(
        phone_id=phone_id,
        token=token,
        session=session,
        server=None,
        verify_token=verify_token or None,
        app_secret=app_secret or None,
        validate_updates=bool(app_secret),
    )
    if token:
        # pywa sets the session's base URL to Meta's host and its API version
        # (https://graph.facebook.com/v<version>/); keep the version, on our host.
        session.base_url = base_url.rstrip("/") + session.base_url.path
    return wa


def client():
    return _client(
        settings.WHATSAPP_PHONE_NUMBER_ID or "",
        settings.WHATSAPP_TOKEN or "",
        settings.WHATSAPP_APP_SECRET or "",
        settings.WHATSAPP_VERIFY_TOKEN or "",
        settings.WHATSAPP_API_BASE_URL,
        float(settings.WHATSAPP_API_TIMEOUT),
    )


def _retryable(exc: Exception) -> bool:
    import httpx
    from pywa.errors import ThrottlingError, WhatsAppError

    if isinstance(exc, httpx.TransportError):  # connect/read/write/pool errors and timeouts
        return True
    if isinstance(exc, ThrottlingError):
        return True
    if isinstance(exc, WhatsAppError):
        status = exc.status_code
        return status is not None and (status >= 500 or status == 429)
    return False


def _reason(exc: Exception) -> str:
    """What failed, without anything Meta echoed back (which may hold the number or the text)."""
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "code", None)
    if isinstance(status, int):
        return f"HTTP {status}" + (f", code {code}" if isinstance(code, int) else "")
    return type(exc).__name__


def _pause(attempt: int, exc: Exception) -> float:
    """Exponential backoff with jitter; a Retry-After Meta sends is honoured up to MAX_PAUSE."""
    base = float(settings.WHATSAPP_SEND_BACKOFF_SECONDS)
    pause = base * (2 ** (attempt - 1)) * random.uniform(0.5, 1.0)
    response = getattr(exc, "raw_response", None)
    retry_after = response.headers.get("Retry-After") if response is not None else None
    if retry_after and retry_after.strip().isdigit() and base > 0:
        pause = max(pause, float(retry_after))
    return min(pause, MAX_PAUSE)


def _deliver(call):
    """``call()`` (one request to the Graph API), retried while the failure is retryable."""
    attempts = max(1, int(settings.WHATSAPP_SEND_ATTEMPTS))
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as exc:  # pywa raises its own WhatsAppError subclasses and httpx errors
            retryable = _retryable(exc)
            if not retryable or attempt == attempts:
                raise WhatsAppSendError(_reason(exc), retryable=retryable) from exc
            logger.info("WhatsApp send failed (%s), attempt %d of %d: retrying", _reason(exc), attempt, attempts)
            time.sleep(_pause(attempt, exc))
    raise AssertionError("unreachable")


def challenge(*, verify_token: str | None, challenge_value: str | None, mode: str | None) -> tuple[str, int]:
    if mode != "subscribe" or not settings.WHATSAPP_VERIFY_TOKEN:
        return "Forbidden", 403
    body, status = client().webhook_challenge_handler(vt=verify_token, ch=challenge_value)
    return body or "", status


def signature_error(*, body: bytes, signature: str | None) -> tuple[str, int] | None:
    """None when the body is signed with the app secret; otherwise (message, 401 or 403).

    Only Meta's exact form is accepted: ``sha256=`` and 64 hex digits of the
    HMAC-SHA256 of the raw body (pywa's validator also takes a bare digest).
    """
    if not settings.WHATSAPP_APP_SECRET:
        return "Forbidden", 403  # never accept unsigned updates
    if not signature:
        return "Unauthorized", 401
    match = _SIGNATURE.fullmatch(signature)
    if match is None:
        return "Forbidden", 403
    expected = hmac.new(settings.WHATSAPP_APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, match.group(1).lower()):
        return "Forbidden", 403
    return None


class MalformedDelivery(ValueError):
    """A signed webhook body that is not a JSON object of reasonable depth (message: Spanish, for the 400)."""


def parse_delivery(body: bytes) -> dict:
    """The JSON object of a webhook delivery; MalformedDelivery if the body is not one."""
    try:
        payload = jsonsafe.loads(body, max_depth=MAX_DEPTH)
    except jsonsafe.JSONError as exc:
        if exc.too_deep:
            raise MalformedDelivery(_("El cuerpo JSON tiene demasiados niveles de anidamiento.")) from None
        raise MalformedDelivery(_("El cuerpo no es JSON válido.")) from None
    if not isinstance(payload, dict):
        raise MalformedDelivery(_("El cuerpo no es un objeto JSON."))
    return payload


def send_reply(*, to: str, reply: dict) -> tuple[str, str, str]:
    """Send one bot reply; buttons become reply buttons (≤3) or a list (≤10). Returns (id, kind, text).

    Raises WhatsAppSendError once Meta did not accept it (after the retries above).
    """
    from pywa.types import Button, Section, SectionList, SectionRow

    text = (reply.get("text") or "")[:MAX_TEXT] or "…"
    options = reply.get("buttons") or []
    markup = None
    kind = "text"
    if options and len(options) <= 3 and all(len(b["title"]) <= MAX_BUTTON_TITLE for b in options):
        markup = [Button(title=b["title"], callback_data=b["payload"][:256]) for b in options]
        kind = "interactive"
    elif options:
        rows = [
            SectionRow(
                title=_shorten(b["title"], MAX_ROW_TITLE),
                callback_data=b["payload"][:200],
                description=_shorten(b["title"], MAX_ROW_DESCRIPTION) if len(b["title"]) > MAX_ROW_TITLE else None,
            )
            for b in options[:10]
        ]
        markup = SectionList(button_title=_("Ver opciones"), sections=[Section(title=_("Opciones"), rows=rows)])
        kind = "interactive"
    sent = _deliver(lambda: client().send_message(to=to, text=text, buttons=markup))
    return sent.id, kind, text


def send_template(*, to: str, params: list[str]) -> tuple[str, str, str]:
    """The approved notification template, for messages outside the 24-hour window."""
    from pywa.types.templates import TemplateLanguage

    body = [{"type": "body", "parameters": [{"type": "text", "text": value} for value in params]}]
    sent = _deliver(
        lambda: client().send_template(
            to=to,
            name=settings.WHATSAPP_STATUS_TEMPLATE,
            language=TemplateLanguage(settings.WHATSAPP_TEMPLATE_LANGUAGE),
            params=body,
        )
    )
    return sent.id, "template", f"{settings.WHATSAPP_STATUS_TEMPLATE}: " + " | ".join(params)


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
