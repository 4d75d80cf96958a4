"""Writes of the chatbot app: answering a message (Rasa or fallback) and logging it;
the WhatsApp ledger (incoming messages once, statuses, replies, notifications)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from chatbot import rasa_client
from chatbot.actions import compose
from chatbot.fallback import fallback_answer
from chatbot.models import ChatExchange, Engine, WhatsAppMessage, WhatsAppOutbound, WhatsAppStatus

logger = logging.getLogger(__name__)

MAX_TEXT = 5000  # accepted from a client
NLU_TEXT = 500  # what the NLU sees (longer messages are cut)
_LETTER_OR_DIGIT = re.compile(r"\w", re.UNICODE)
UNANSWERED_INTENTS = {"nlu_fallback", "out_of_scope", "empty"}


def sender_hash(*, channel: str, sender: str) -> str:
    """A keyed hash of the sender: the log never stores phone numbers or session ids."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{channel}:{sender}".encode(), hashlib.sha256).hexdigest()


def chat_message_answer(*, sender: str, text: str, channel: str, request: HttpRequest | None = None) -> dict:
    """Answer one chat message and log it.

    Returns ``{"replies", "intent", "guide", "engine"}``: from Rasa when it answers
    within RASA_TIMEOUT, else from the fallback answerer, which says so.
    """
    started = time.monotonic()
    hashed = sender_hash(channel=channel, sender=sender or "anonymous")
    clean = " ".join((text or "").split())[:MAX_TEXT]
    nlu_text = clean[:NLU_TEXT]
    if not _LETTER_OR_DIGIT.search(nlu_text):
        result = _empty_answer(bool(clean))
        engine = Engine.FALLBACK
    else:
        try:
            result = _rasa_answer(hashed, nlu_text)
            engine = Engine.RASA
        except rasa_client.RasaUnavailable as exc:
            logger.info("Rasa unavailable (%s); answering from search", exc)
            result = fallback_answer(sender=hashed, text=nlu_text, request=request)
            result["replies"].append({"text": _fallback_notice(), "buttons": []})
            engine = Engine.FALLBACK
    latency_ms = int((time.monotonic() - started) * 1000)
    guide = result.get("guide")
    chat_exchange_log(
        sender_hash=hashed,
        channel=channel,
        text=clean,
        replies=result["replies"],
        intent=result.get("intent") or "",
        confidence=result.get("confidence"),
        guide_slug=guide["slug"] if guide else "",
        engine=engine,
        latency_ms=latency_ms,
        answered=bool(result.get("answered", True)) and result.get("intent") not in UNANSWERED_INTENTS,
    )
    return {
        "replies": result["replies"],
        "intent": result.get("intent") or "",
        "guide": {"slug": guide["slug"], "url": guide["url"]} if guide else None,
        "engine": str(engine),
    }


async def chat_message_answer_async(**kwargs) -> dict:
    """``chat_message_answer`` for async callers (the API view, the websocket consumer).

    Under an ASGI server every sync view shares one thread; the answer waits on
    Rasa, whose action server calls back into the portal's guide API, which
    would then wait for that same thread. So the answer runs in the thread pool
    (``CHATBOT_ANSWER_IN_POOL``; tests switch it off to stay in their transaction).
    """
    from asgiref.sync import sync_to_async

    in_pool = settings.CHATBOT_ANSWER_IN_POOL
    return await sync_to_async(_answer_and_release, thread_sensitive=not in_pool)(in_pool=in_pool, **kwargs)


def _answer_and_release(*, in_pool: bool, **kwargs) -> dict:
    from django.db import close_old_connections

    try:
        return chat_message_answer(**kwargs)
    finally:
        if in_pool:
            close_old_connections()


def _rasa_answer(hashed: str, text: str) -> dict:
    answer = rasa_client.rasa_converse(sender=hashed, text=text)
    if not answer.replies:
        raise rasa_client.RasaUnavailable("no reply")
    guide = answer.meta.get("guide") if isinstance(answer.meta.get("guide"), dict) else None
    return {
        "replies": answer.replies,
        "intent": answer.intent,
        "confidence": answer.confidence,
        "guide": guide if guide and guide.get("slug") else None,
        "answered": answer.meta.get("answered", True),
    }


def _empty_answer(had_text: bool) -> dict:
    if had_text:  # emoji, punctuation only
        text = compose.compose_not_understood(settings.AYNI_MUNICIPALITY_PHONE)
    else:
        text = _("Escriba su pregunta sobre un trámite municipal, o elija una opción del menú.")
    return {
        "replies": [{"text": text, "buttons": compose.menu_buttons()}],
        "intent": "nlu_fallback" if had_text else "empty",
        "confidence": None,
        "guide": None,
        "answered": False,
    }


def _fallback_notice() -> str:
    return _("(El asistente responde en modo básico, con la búsqueda del portal.)")


@transaction.atomic
def chat_exchange_log(
    *,
    sender_hash: str,
    channel: str,
    text: str,
    replies: list[dict],
    intent: str,
    confidence: float | None,
    guide_slug: str,
    engine: str,
    latency_ms: int,
    answered: bool,
) -> ChatExchange:
    return ChatExchange.objects.create(
        sender_hash=sender_hash,
        channel=channel,
        text=text[:1000],
        reply="\n\n".join(r["text"] for r in replies)[:4000],
        intent=intent[:64],
        confidence=confidence,
        guide_slug=guide_slug[:255],
        engine=engine,
        latency_ms=latency_ms,
        answered=answered,
    )


@transaction.atomic
def chat_log_purge(*, days: int | None = None) -> int:
    """Delete log entries older than the retention period; returns how many."""
    days = settings.CHATBOT_LOG_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _detail = ChatExchange.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- WhatsApp -------------------------------------------------------------------


def whatsapp_webhook_receive(*, payload: dict) -> list[int]:
    """Store what a (signature-checked) webhook delivery carries.

    Each incoming message is stored once by its Meta id; returns the primary
    keys of the messages that are new (a retried delivery returns none).
    Delivery statuses are recorded once per (message id, status).
    """
    new: list[int] = []
    for value in _webhook_values(payload):
        for message in value.get("messages") or []:
            pk = whatsapp_message_store(message=message)
            if pk is not None:
                new.append(pk)
        for status in value.get("statuses") or []:
            whatsapp_status_record(status=status)
    return new


def _webhook_values(payload: dict):
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        return
    for entry in payload.get("entry") or []:
        for change in (entry or {}).get("changes") or []:
            if (change or {}).get("field") == "messages" and isinstance(change.get("value"), dict):
                yield change["value"]


def whatsapp_message_store(*, message: dict) -> int | None:
    message_id = str(message.get("id") or "")[:255]
    wa_id = str(message.get("from") or "")[:32]
    if not message_id or not wa_id:
        return None
    kind = str(message.get("type") or "unknown")[:32]
    try:
        with transaction.atomic():
            stored = WhatsAppMessage.objects.create(
                message_id=message_id,
                wa_id=wa_id,
                kind=kind,
                text=_incoming_text(message)[:MAX_TEXT],
                sent_at=_timestamp(message.get("timestamp")),
            )
    except IntegrityError:
        return None  # already received: Meta retried the delivery
    return stored.pk


def _incoming_text(message: dict) -> str:
    kind = message.get("type")
    if kind == "text":
        return str((message.get("text") or {}).get("body") or "")
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return str(reply.get("id") or reply.get("title") or "")
    if kind == "button":  # a template's quick-reply button
        button = message.get("button") or {}
        return str(button.get("payload") or button.get("text") or "")
    return ""


def _timestamp(value) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def whatsapp_status_record(*, status: dict) -> WhatsAppStatus | None:
    message_id = str(status.get("id") or "")[:255]
    state = str(status.get("status") or "")[:16]
    if not message_id or not state:
        return None
    try:
        with transaction.atomic():
            return WhatsAppStatus.objects.create(
                message_id=message_id,
                recipient=str(status.get("recipient_id") or "")[:32],
                status=state,
                timestamp=_timestamp(status.get("timestamp")),
                errors=status.get("errors") if isinstance(status.get("errors"), list) else [],
            )
    except IntegrityError:
        return None


def whatsapp_message_reply(*, message_pk: int) -> None:
    """Answer one stored incoming message through the Cloud API (run by a task)."""
    from chatbot import whatsapp

    with transaction.atomic():
        message = WhatsAppMessage.objects.select_for_update().filter(pk=message_pk).first()
        if message is None or message.status != WhatsAppMessage.Status.RECEIVED:
            return  # already answered (or gone): never reply twice
        message.status = WhatsAppMessage.Status.ANSWERED
        message.answered_at = timezone.now()
        message.save(update_fields=["status", "answered_at"])
    try:
        if message.kind in {"text", "interactive", "button"} and message.text.strip():
            answer = chat_message_answer(sender=message.wa_id, text=message.text, channel="whatsapp")
            sent = [whatsapp.send_reply(to=message.wa_id, reply=reply) for reply in answer["replies"]]
        else:
            text = _(
                "Por ahora solo puedo leer mensajes de texto. Escriba su consulta, por ejemplo: "
                "«requisitos de la licencia de funcionamiento»."
            )
            sent = [whatsapp.send_reply(to=message.wa_id, reply={"text": text, "buttons": []})]
    except whatsapp.WhatsAppSendError:
        logger.exception("WhatsApp reply to %s failed", message.message_id)
        WhatsAppMessage.objects.filter(pk=message.pk).update(status=WhatsAppMessage.Status.FAILED)
        return
    with transaction.atomic():
        for message_id, kind, text in sent:
            WhatsAppOutbound.objects.create(
                message_id=message_id, wa_id=message.wa_id, kind=kind, text=text[:4000], in_reply_to=message
            )


def whatsapp_notification_send(*, wa_id: str, subject: str, body: str, url: str = "") -> WhatsAppOutbound:
    """Notify someone who gave their WhatsApp number with consent (e.g. a complaint's status change).

    Free text inside the 24-hour customer service window; the approved template
    (parameters: subject, body) outside it, as the Cloud API requires.
    """
    from chatbot import selectors, whatsapp

    if selectors.whatsapp_window_open(wa_id=wa_id):
        text = "\n".join(part for part in (subject, body, url) if part)
        message_id, kind, text = whatsapp.send_reply(to=wa_id, reply={"text": text, "buttons": []})
    else:
        message_id, kind, text = whatsapp.send_template(to=wa_id, params=[subject, body[:1000]])
    with transaction.atomic():
        return WhatsAppOutbound.objects.create(message_id=message_id, wa_id=wa_id, kind=kind, text=text[:4000])
