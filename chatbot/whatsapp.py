"""The WhatsApp Cloud API through pywa, used without its own server.

The portal's Django views serve the webhook; pywa checks the challenge and the
``X-Hub-Signature-256`` signature and sends messages (text, reply buttons,
lists, templates) to Meta's Graph API.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

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


class WhatsAppSendError(Exception):
    pass


@functools.lru_cache(maxsize=4)
def _client(phone_id: str, token: str, app_secret: str, verify_token: str):
    from pywa import WhatsApp

    return WhatsApp(
        phone_id=phone_id,
        token=token,
        server=None,
        verify_token=verify_token or None,
        app_secret=app_secret or None,
        validate_updates=bool(app_secret),
    )


def client():
    return _client(
        settings.WHATSAPP_PHONE_NUMBER_ID or "",
        settings.WHATSAPP_TOKEN or "",
        settings.WHATSAPP_APP_SECRET or "",
        settings.WHATSAPP_VERIFY_TOKEN or "",
    )


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
    """Send one bot reply; buttons become reply buttons (≤3) or a list (≤10). Returns (id, kind, text)."""
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
    try:
        sent = client().send_message(to=to, text=text, buttons=markup)
    except Exception as exc:  # pywa raises its own WhatsAppError subclasses and httpx errors
        raise WhatsAppSendError(str(exc)) from exc
    return sent.id, kind, text


def send_template(*, to: str, params: list[str]) -> tuple[str, str, str]:
    """The approved notification template, for messages outside the 24-hour window."""
    from pywa.types.templates import TemplateLanguage

    body = [{"type": "body", "parameters": [{"type": "text", "text": value} for value in params]}]
    try:
        sent = client().send_template(
            to=to,
            name=settings.WHATSAPP_STATUS_TEMPLATE,
            language=TemplateLanguage(settings.WHATSAPP_TEMPLATE_LANGUAGE),
            params=body,
        )
    except Exception as exc:
        raise WhatsAppSendError(str(exc)) from exc
    return sent.id, "template", f"{settings.WHATSAPP_STATUS_TEMPLATE}: " + " | ".join(params)


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"
