"""Writes of the chatbot app: answering a message (either understanding, one answerer), its log and state;
the WhatsApp ledger (incoming messages once, statuses, replies, notifications)."""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import hmac
import logging
import math
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone, translation

from ayni import jsonsafe
from ayni.clients import client_key, key_for
from ayni.ratelimit import RateLimited
from ayni.sqlite_writes import atomic_polling
from chatbot import dialogue, rasa_client, resolver, selectors, texts, understanding
from chatbot.models import (
    ChatExchange,
    Conversation,
    Engine,
    WhatsAppDelivery,
    WhatsAppMessage,
    WhatsAppOutbound,
    WhatsAppStatus,
)
from chatbot.urgent import urgent_answer
from participation import codes
from participation.services.common import rate_limit

logger = logging.getLogger(__name__)

MAX_TEXT = 5000  # accepted from a client
NLU_TEXT = 500  # what the NLU sees (longer messages are cut)
_LETTER_OR_DIGIT = re.compile(r"\w", re.UNICODE)
UNANSWERED_INTENTS = {"nlu_fallback", "empty"}


def sender_hash(*, channel: str, sender: str) -> str:
    """A keyed hash of the sender: the log never stores phone numbers or session ids."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{channel}:{sender}".encode(errors="surrogatepass"), hashlib.sha256).hexdigest()


def chat_message_answer(
    *,
    sender: str,
    text: str,
    channel: str,
    request: HttpRequest | None = None,
    client: str = "",
    language: str = "",
    attachment: dict | None = None,
) -> dict:
    """Answer one chat message and log it.

    Returns ``{"replies", "intent", "guide", "options", "engine"}``. Rasa
    understands the message when it answers within RASA_TIMEOUT, else the
    built-in understanding does (``engine: "fallback"``); ``chatbot.dialogue``
    answers either way, with the conversation's state from the database.
    ``client`` is the client's rate-limit key (``ayni.clients``; from ``request``
    when not given; none for WhatsApp, where the sender is the limit's key).
    ``language`` (es, en…) is remembered by the conversation. ``attachment``: what a
    WhatsApp message carried besides text — ``{"type": "location", "latitude",
    "longitude", "name", "address"}`` or ``{"type": "image", "media_id", "mime_type"}``
    — for a flow in progress (a reclamo); ``text`` may then be empty.
    """
    with selectors.guide_fingerprint_once():  # the guides' state is read once per answer
        return _chat_message_answer(
            sender=sender,
            text=text,
            channel=channel,
            request=request,
            client=client,
            language=language,
            attachment=attachment,
        )


def _chat_message_answer(
    *, sender: str, text: str, channel: str, request: HttpRequest | None, client: str, language: str,
    attachment: dict | None,
) -> dict:  # fmt: skip
    started = time.monotonic()
    hashed = sender_hash(channel=channel, sender=sender or "anonymous")
    client = client or (client_key(request) if request is not None else "")
    clean = " ".join(safe_text(text or "").split())[:MAX_TEXT]  # NUL and lone surrogates never reach the DB
    nlu_text = clean[:NLU_TEXT]
    conversation, expired_flow = conversation_state(sender_hash=hashed)
    state = dialogue.State(**copy.deepcopy(conversation))  # compared with ``conversation`` to save changes
    if language in dict(settings.LANGUAGES):
        state.language = language
    # The page's language, or the message's when it is clearly English (a visitor writing in English
    # on a Spanish page, or on WhatsApp). Without a page (WhatsApp) a message with two or more words
    # only Spanish uses turns an English conversation back ("hola" alone does not).
    said_in = understanding.message_language(nlu_text) if not nlu_text.startswith("/") else None
    if said_in == "en" and "en" in dict(settings.LANGUAGES):
        state.language = "en"
    elif said_in == "es" and not language and state.language and understanding.message_language(nlu_text, at_least=2):
        state.language = settings.LANGUAGE_CODE
    english = said_in == "en" or (said_in is None and state.language == "en")
    with translation.override(state.language or translation.get_language() or settings.LANGUAGE_CODE):
        result, engine = _answer(
            hashed,
            clean,
            nlu_text,
            state,
            request=request,
            client=client,
            channel=channel,
            attachment=attachment,
            contact=sender if channel == "whatsapp" else "",
            english=english,
        )
        if expired_flow:  # a reclamo left half-way for too long: say so, politely
            result.replies.insert(0, {"text": texts.flow_expired(), "buttons": []})
    guide = result.guide

    def record() -> None:
        if expired_flow or asdict(state) != conversation:  # an expired flow is cleared once, not told twice
            conversation_save(sender_hash=hashed, state=state)
        chat_exchange_log(
            sender_hash=hashed,
            channel=channel,
            text=clean,
            replies=result.replies,
            intent=result.intent,
            confidence=result.confidence,
            guide_slug=guide["slug"] if guide else "",
            engine=engine,
            latency_ms=int((time.monotonic() - started) * 1000),
            answered=result.answered and result.intent not in UNANSWERED_INTENTS,
        )

    atomic_polling(record)  # the state and the log in one commit (on SQLite, the lock polled for)
    return {
        "replies": result.replies,
        "intent": result.intent,
        "guide": {"slug": guide["slug"], "url": guide["url"]} if guide else None,
        "options": result.options,
        "engine": str(engine),
    }


def _answer(hashed: str, clean: str, nlu_text: str, state: dialogue.State, *, request, client: str,
            channel: str, attachment: dict | None, contact: str, english: bool = False):  # fmt: skip
    """(result, engine): the checks that come before any understanding, then one of the two, then the answerer.

    ``english``: the message is in English. Rasa's model is Spanish, so the built-in understanding
    (whose patterns know English too) reads it and the guides are ranked by the portal search over
    their English translations (``resolver.rank_english``)."""
    steps = {"channel": channel, "attachment": attachment, "contact": contact}
    if attachment and not _LETTER_OR_DIGIT.search(nlu_text):  # a photo or a location, no words
        meaning = understanding.Understanding(intent="attachment", engine="fallback")
        return dialogue.answer(text="", understanding=meaning, state=state, sender=hashed, **steps), Engine.FALLBACK
    if not _LETTER_OR_DIGIT.search(nlu_text):
        if state.flow:  # a reclamo in progress: its step answers (it asks again for what it needs)
            meaning = understanding.Understanding(intent="nlu_fallback", engine="fallback")
            return dialogue.answer(text=nlu_text, understanding=meaning, state=state, sender=hashed, **steps), (
                Engine.FALLBACK
            )
        return dialogue.empty(had_text=bool(clean)), Engine.FALLBACK
    if (urgent := urgent_answer(clean)) is not None:
        # Violence, a child in danger, a medical emergency...: the emergency lines first, never a guide.
        return dialogue.Result(urgent["replies"], urgent["intent"]), Engine.FALLBACK
    if client and understanding.find_tracking_code(nlu_text):
        # Counted against the client here and against the conversation at the lookup (dialogue),
        # on every channel and whichever understanding runs.
        try:
            rate_limit(scope="tracking", client=client)
        except RateLimited:
            return dialogue.tracking_limited(), Engine.FALLBACK
    meaning = understanding.parse_payload(nlu_text)
    engine = Engine.BUTTON
    ranking = None
    if meaning is None and english:
        ranking = resolver.rank_english(nlu_text)
        meaning = understanding.fallback_understand(nlu_text)
        engine = Engine.FALLBACK
    if meaning is None:
        # Rasa parses on a pool thread (HTTP only, no database) while this thread ranks the guides.
        parsing = _rasa_pool().submit(understanding.rasa_understand, nlu_text) if rasa_client.available() else None
        ranking = resolver.rank(nlu_text)
        try:
            if parsing is None:
                raise rasa_client.RasaUnavailable("paused or disabled")
            meaning = parsing.result()
            engine = Engine.RASA
        except rasa_client.RasaUnavailable as exc:
            logger.debug("Rasa unavailable (%s); the built-in understanding answers", exc)
            meaning = understanding.fallback_understand(nlu_text)
            engine = Engine.FALLBACK
    result = dialogue.answer(
        text=nlu_text, understanding=meaning, state=state, request=request, sender=hashed, ranking=ranking, **steps
    )
    return result, engine


def answerer_warm() -> int:
    """Before a process answers its first message: the guide index, every live guide's facts in
    each interface language (from the shared cache when another process built them) and a first
    ranking (the search's vocabulary). Returns how many guides. Registered with ``ayni.warmup``."""
    with selectors.guide_fingerprint_once():
        index = resolver.guide_index()
        for language in settings.INTERFACE_LANGUAGES:
            with translation.override(language):
                for slug in index.entries:
                    selectors.guide_facts(slug=slug)
        resolver.rank("licencia de funcionamiento")
    return len(index.entries)


@functools.cache
def _rasa_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=16, thread_name_prefix="rasa-parse")


def conversation_state(*, sender_hash: str) -> tuple[dict, bool]:
    """The stored state of a conversation (``dialogue.State`` fields) and whether a flow expired.

    Empty when new or idle longer than ``CHATBOT_CONVERSATION_MINUTES``; the second
    value says that the idle state held a flow in progress (to tell the resident).
    """
    since = timezone.now() - timedelta(minutes=settings.CHATBOT_CONVERSATION_MINUTES)
    row = (
        Conversation.objects.filter(sender_hash=sender_hash)
        .values("last_guide", "options", "pending_asks", "language", "flow", "updated_at")
        .first()
    )
    if row is None:
        return asdict(dialogue.State()), False
    if row.pop("updated_at") < since:
        if row["flow"]:
            from chatbot import flows

            flows.discard(row["flow"])
        return asdict(dialogue.State()), bool(row["flow"])
    return row, False


@transaction.atomic
def conversation_save(*, sender_hash: str, state: dialogue.State) -> None:
    Conversation.objects.update_or_create(
        sender_hash=sender_hash,
        defaults={
            "last_guide": state.last_guide[:255],
            "options": [str(slug)[:255] for slug in state.options[:5]],
            "pending_asks": state.pending_asks[:16],
            "language": state.language[:8],
            "flow": state.flow or {},
        },
    )


async def chat_message_answer_async(**kwargs) -> dict:
    """``chat_message_answer`` for async callers (the API view, the websocket consumer).

    The answer waits on Rasa's parse and the database; it runs in the thread
    pool (``CHATBOT_ANSWER_IN_POOL``) so that one slow answer never holds the
    ASGI server's single thread for sync code. Tests switch it off to stay in
    their transaction.
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
    # Tracking codes are never kept in the log (questions and answers alike).
    return ChatExchange.objects.create(
        sender_hash=sender_hash,
        channel=channel,
        text=codes.redact(safe_text(text))[:1000],
        reply=codes.redact(safe_text("\n\n".join(r["text"] for r in replies)))[:4000],
        intent=intent[:64],
        confidence=confidence,
        guide_slug=guide_slug[:255],
        engine=engine,
        latency_ms=latency_ms,
        answered=answered,
    )


@transaction.atomic
def chat_log_purge(*, days: int | None = None, now: datetime | None = None) -> int:
    """Delete log entries older than the retention period; returns how many (see also purge_expired)."""
    days = settings.CHATBOT_LOG_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    deleted, _detail = ChatExchange.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- WhatsApp -------------------------------------------------------------------
#
# Privacy: a sender's number is stored only while it is needed to answer (see
# purge_expired); a tracking code typed in a message stays in the row only until
# the message is answered, and outgoing texts are stored with codes redacted, so
# a number is never kept next to a tracking code. Logs never carry a number, a
# text or Meta's message id (which encodes the sender's number).

_WA_ID = re.compile(r"[0-9]{1,32}")
_TOKEN = re.compile(r"[a-z_]{1,32}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MEDIA_ID = re.compile(r"[0-9A-Za-z_.-]{1,128}")  # Meta's media ids are digits; it goes into a URL path
_MIME = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,60}")
_SHA256 = re.compile(r"[0-9A-Za-z+/=_-]{1,128}")
PLACE_TEXT = 1000  # a location's name or address longer than this is not Meta's
# Kinds answered by the chat (an image or a location may have no text: the flow decides);
# the others (sticker, audio, video, document...) get the polite "text only" answer.
_CHAT_KINDS = {"text", "interactive", "button"}
_ATTACHMENT_KINDS = {"image", "location"}


class _Malformed(ValueError):
    """An item of a webhook delivery that is not shaped like the Cloud API's (reason: no user data)."""


DELIVERIES_WAKE = "chatbot:whatsapp-deliveries-wake"
DELIVERIES_BATCH = 100


@contextlib.contextmanager
def _bookkeeping():
    """A transaction of the worker's WhatsApp bookkeeping: on PostgreSQL it commits without waiting
    for the disk (``synchronous_commit`` off for this transaction only).

    A burst of replies made some eight commits per message, each waiting for PostgreSQL
    to write its log to disk, and the webhook's acknowledgements (whose INSERT must be on
    disk before the 200) queued behind them. What commits this way (claims, leases,
    messages split from a delivery, statuses, the kept replies, the final status) is
    visible at once; only a crash of the database server itself can lose the last
    fraction of a second of it, and then nothing is answered twice or lost: the log is
    written in order, and the one commit that must survive — a reply Meta accepted
    (``WhatsAppOutbound``), committed synchronously — writes everything before it too.
    What a crash can undo is redone by the next run (the delivery is split again, the
    message claimed again, its accepted replies skipped). SQLite: an ordinary transaction.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def whatsapp_delivery_record(*, body: bytes) -> None:
    """Record a signed webhook delivery as it came: the acknowledgement path's only write (one INSERT).

    An identical re-delivery (same body, same keyed hash) is a no-op (``ON CONFLICT DO
    NOTHING``). The worker splits it into messages and statuses
    (``whatsapp_deliveries_process``): its poll finds it within a second; when the task
    queue is not in the database (Redis, or the tests' immediate backend), a processing
    task is also enqueued, once per burst, so that the split starts at once.
    """
    whatsapp_deliveries_record(bodies=[body])


def whatsapp_deliveries_record(*, bodies: list[bytes], wake: bool = True) -> None:
    """Record several signed deliveries in one INSERT (``ON CONFLICT DO NOTHING``), then wake the worker.

    The webhook's fast path (``chatbot.webhook``) records the deliveries that arrive
    together in one statement; a delivery repeated in ``bodies`` is recorded once.
    ``wake=False`` leaves the wake-up to the caller (``whatsapp_deliveries_wake``).
    """
    rows = {}
    for body in bodies:
        digest = hmac.new(settings.SECRET_KEY.encode(), body, hashlib.sha256).hexdigest()
        rows.setdefault(digest, WhatsAppDelivery(digest=digest, body=body.decode("utf-8")))
    WhatsAppDelivery.objects.bulk_create(list(rows.values()), ignore_conflicts=True)
    if wake:
        whatsapp_deliveries_wake()


def whatsapp_deliveries_wake() -> None:
    """Start the worker's split of the recorded deliveries now (not on the database queue: its poll does)."""
    from chatbot import tasks

    try:
        backend = tasks.whatsapp_deliveries.get_backend()
        if type(backend).__module__.startswith("django_tasks_db"):
            return  # enqueueing would be a second write to the same database: the worker's poll finds it
        if cache.add(DELIVERIES_WAKE, "1", timeout=10):
            tasks.whatsapp_deliveries.enqueue()
    except Exception:  # the queue is down: the worker's poll finds the delivery all the same
        cache.delete(DELIVERIES_WAKE)
        logger.exception("could not enqueue the processing of WhatsApp deliveries")


def whatsapp_deliveries_process(*, limit: int = DELIVERIES_BATCH) -> dict:
    """Split the recorded webhook deliveries into messages and statuses, oldest first, until none is left.

    Run by the worker (its poll, and the ``whatsapp_deliveries`` task). Each run takes a
    batch with a lease (``WHATSAPP_DELIVERY_LEASE_SECONDS``): a worker that dies mid-batch
    leaves its deliveries to the next run after the lease, and processing a delivery
    twice stores and answers nothing twice (message ids are kept once). A processed
    delivery loses its body at once. Returns the summed counts of ``whatsapp_webhook_receive``
    and ``deliveries``.
    """
    cache.delete(DELIVERIES_WAKE)  # deliveries recorded from now on enqueue a new run
    totals = {"deliveries": 0, "stored": 0, "requeued": 0, "duplicates": 0, "statuses": 0, "skipped": 0}
    while batch := _deliveries_claim(limit):
        for delivery in batch:
            try:
                payload = jsonsafe.loads(delivery.body, max_depth=32)
            except jsonsafe.JSONError:
                payload = None
            if isinstance(payload, dict):
                counts = whatsapp_webhook_receive(payload=payload)
            else:  # the webhook checked it: only a body stored by hand gets here
                _log_skipped("delivery", "not a JSON object")
                counts = {"skipped": 1}
            for key, value in counts.items():
                totals[key] += value
            with _bookkeeping():
                WhatsAppDelivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
                    body="", processed_at=timezone.now(), claim="", claimed_until=None
                )
            totals["deliveries"] += 1
    return totals


def _deliveries_claim(limit: int) -> list[WhatsAppDelivery]:
    now = timezone.now()
    free = WhatsAppDelivery.objects.filter(processed_at__isnull=True).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    ids = list(free.order_by("pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    token = uuid.uuid4().hex
    lease = now + timedelta(seconds=settings.WHATSAPP_DELIVERY_LEASE_SECONDS)
    with _bookkeeping():
        free.filter(pk__in=ids).update(claim=token, claimed_until=lease)
    return list(WhatsAppDelivery.objects.filter(pk__in=ids, claim=token).order_by("pk"))


def whatsapp_webhook_receive(*, payload: dict) -> dict:
    """Store what a (signature-checked) webhook delivery carries, item by item (in the worker:
    ``whatsapp_deliveries_process`` calls it for each recorded delivery).

    Each well-formed incoming message is stored once by its Meta id, in its own
    transaction, and its reply task is enqueued when that transaction commits;
    a retried delivery stores nothing twice but re-enqueues the reply of a
    message still waiting for one. Malformed items are skipped (logged without
    any user data) and never cost the other items their answer. Delivery
    statuses are recorded once per (message id, status).

    Returns counts: ``stored``, ``requeued``, ``duplicates``, ``statuses``, ``skipped``.
    """
    counts = {"stored": 0, "requeued": 0, "duplicates": 0, "statuses": 0, "skipped": 0}
    if payload.get("object") != "whatsapp_business_account":
        return counts  # another product's webhook: nothing for us
    for where, kind, item in _webhook_items(payload, counts):
        try:
            if kind == "message":
                outcome = _message_receive(_message_parse(item))
            else:
                outcome = _status_receive(item)
        except _Malformed as exc:
            _log_skipped(where, str(exc))
            outcome = "skipped"
        counts[outcome] += 1
    return counts


def _log_skipped(where: str, reason: str) -> None:
    logger.warning("WhatsApp delivery: skipped a malformed item at %s (%s)", where, reason)


def _webhook_items(payload: dict, counts: dict):
    """``(where, "message"|"status", item)`` for every item of every ``messages`` change."""
    entries = payload.get("entry")
    if not isinstance(entries, list):
        _log_skipped("entry", "not a list")
        counts["skipped"] += 1
        return
    for e, entry in enumerate(entries):
        changes = entry.get("changes") if isinstance(entry, dict) else None
        if not isinstance(changes, list):
            _log_skipped(f"entry[{e}]", "no list of changes")
            counts["skipped"] += 1
            continue
        for c, change in enumerate(changes):
            where = f"entry[{e}].changes[{c}]"
            if not isinstance(change, dict):
                _log_skipped(where, "not an object")
                counts["skipped"] += 1
                continue
            if change.get("field") != "messages":
                continue  # another subscription (templates, account updates): not ours to answer
            value = change.get("value")
            if not isinstance(value, dict):
                _log_skipped(f"{where}.value", "not an object")
                counts["skipped"] += 1
                continue
            for key, kind in (("messages", "message"), ("statuses", "status")):
                items = value.get(key)
                if items is None:
                    continue
                if not isinstance(items, list):
                    _log_skipped(f"{where}.value.{key}", "not a list")
                    counts["skipped"] += 1
                    continue
                for i, item in enumerate(items):
                    yield f"{where}.value.{key}[{i}]", kind, item


def safe_text(value: str) -> str:
    """``value`` as any database stores it: no NUL characters, no lone surrogates."""
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value.encode("utf-8", "replace").decode("utf-8")


def _identifier(value, *, size: int, what: str) -> str:
    if not isinstance(value, str) or not value or len(value) > size or _CONTROL.search(value):
        raise _Malformed(f"bad {what}")
    return safe_text(value)


def _message_parse(item) -> dict:
    if not isinstance(item, dict):
        raise _Malformed("not an object")
    sender = item.get("from")
    if not isinstance(sender, str) or not _WA_ID.fullmatch(sender):
        raise _Malformed("bad sender")
    kind = item.get("type")
    if not isinstance(kind, str) or not _TOKEN.fullmatch(kind):
        raise _Malformed("bad type")
    return {
        "message_id": _identifier(item.get("id"), size=255, what="id"),
        "wa_id": sender,
        "kind": kind,
        "text": safe_text(_incoming_text(item, kind))[:MAX_TEXT],
        "sent_at": _timestamp(item.get("timestamp")),
        "payload": _incoming_payload(item, kind),
    }


def _incoming_payload(message: dict, kind: str) -> dict | None:
    """The structured part of an image or location message (the chat's ``attachment``); None for others."""
    if kind == "image":
        image = _field(message, "image")
        media_id = image.get("id")
        if not isinstance(media_id, str) or not _MEDIA_ID.fullmatch(media_id):
            raise _Malformed("image without a valid id")
        mime = image.get("mime_type")
        if not isinstance(mime, str) or not _MIME.fullmatch(mime.strip().lower()):
            raise _Malformed("image without a valid mime_type")
        sha = image.get("sha256")
        if sha is not None and (not isinstance(sha, str) or not _SHA256.fullmatch(sha)):
            raise _Malformed("image with a bad sha256")
        return {"type": "image", "media_id": media_id, "mime_type": mime.strip().lower()}
    if kind == "location":
        location = _field(message, "location")
        return {
            "type": "location",
            "latitude": _coordinate(location.get("latitude"), limit=90, what="latitude"),
            "longitude": _coordinate(location.get("longitude"), limit=180, what="longitude"),
            "name": _place_text(location.get("name"), what="name"),
            "address": _place_text(location.get("address"), what="address"),
        }
    return None


def _coordinate(value, *, limit: int, what: str) -> float:
    """A latitude or longitude as Meta sends it: a JSON number within ±limit degrees."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed(f"{what} is not a number")
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise _Malformed(f"{what} out of range")
    return number


def _place_text(value, *, what: str) -> str:
    """A location's optional name or address: bounded, on one line, database-safe."""
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > PLACE_TEXT:
        raise _Malformed(f"bad location {what}")
    return " ".join(_CONTROL.sub(" ", safe_text(value)).split())


def _incoming_text(message: dict, kind: str) -> str:
    if kind == "text":
        body = _field(message, "text", "body")
        if not isinstance(body, str):
            raise _Malformed("text without a body")
        return body
    if kind == "interactive":
        interactive = _field(message, "interactive")
        reply = interactive.get("button_reply") or interactive.get("list_reply")
        if not isinstance(reply, dict):
            raise _Malformed("interactive without a reply")
        return _first_string(reply, "id", "title")
    if kind == "button":  # a template's quick-reply button
        return _first_string(_field(message, "button"), "payload", "text")
    if kind == "image":  # its caption is its text (optional)
        caption = _field(message, "image").get("caption")
        if caption is not None and not isinstance(caption, str):
            raise _Malformed("image with a bad caption")
        return caption or ""
    return ""  # location (its payload), other media...: no text


def _field(obj: dict, *path: str):
    for key in path[:-1]:
        obj = obj.get(key)
        if not isinstance(obj, dict):
            raise _Malformed(f"{key} is not an object")
    value = obj.get(path[-1])
    if len(path) == 1 and not isinstance(value, dict):
        raise _Malformed(f"{path[0]} is not an object")
    return value


def _first_string(obj: dict, *keys: str) -> str:
    for key in keys:
        if isinstance(obj.get(key), str) and obj[key]:
            return obj[key]
    raise _Malformed(f"no {'/'.join(keys)}")


def _timestamp(value) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _message_receive(fields: dict) -> str:
    """Store one parsed message and enqueue its reply on commit; ``stored``/``requeued``/``duplicates``."""
    with _bookkeeping():
        message, created = WhatsAppMessage.objects.get_or_create(message_id=fields["message_id"], defaults=fields)
        if not created and message.status != WhatsAppMessage.Status.RECEIVED:
            return "duplicates"
        # New, or stored by an earlier delivery whose reply was never taken (lost task): answer it.
        transaction.on_commit(functools.partial(_enqueue_reply, message.pk))
    return "stored" if created else "requeued"


def _enqueue_reply(pk: int) -> None:
    from chatbot import tasks

    try:
        tasks.whatsapp_reply.enqueue(pk)
    except Exception:  # the message stays "received" and Meta's retry re-enqueues it
        logger.exception("could not enqueue the WhatsApp reply for message %s", pk)


def whatsapp_message_store(*, message: dict) -> int | None:
    """Store one incoming message (no reply); its primary key, or None if malformed or already stored."""
    try:
        fields = _message_parse(message)
    except _Malformed:
        return None
    with transaction.atomic():
        stored, created = WhatsAppMessage.objects.get_or_create(message_id=fields["message_id"], defaults=fields)
    return stored.pk if created else None


def _status_receive(item) -> str:
    if not isinstance(item, dict):
        raise _Malformed("not an object")
    state = item.get("status")
    if not isinstance(state, str) or not _TOKEN.fullmatch(state) or len(state) > 16:
        raise _Malformed("bad status")
    message_id = _identifier(item.get("id"), size=255, what="id")
    try:
        with _bookkeeping():
            WhatsAppStatus.objects.create(
                message_id=message_id,
                status=state,
                timestamp=_timestamp(item.get("timestamp")),
                errors=_status_errors(item.get("errors")),
            )
    except IntegrityError:
        return "duplicates"
    return "statuses"


def whatsapp_status_record(*, status: dict) -> WhatsAppStatus | None:
    """Record a delivery status once (None if malformed or known); the recipient's number is not stored."""
    try:
        if _status_receive(status) != "statuses":
            return None
    except _Malformed:
        return None
    return WhatsAppStatus.objects.filter(message_id=status["id"], status=status["status"]).first()


def _status_errors(errors) -> list[dict]:
    """Meta's error descriptions, reduced to code and title (bounded, database-safe)."""
    if not isinstance(errors, list):
        return []
    out = []
    for error in errors[:5]:
        if not isinstance(error, dict):
            continue
        code = error.get("code")
        out.append(
            {
                "code": code if isinstance(code, int) and not isinstance(code, bool) else None,
                "title": safe_text(error["title"])[:200] if isinstance(error.get("title"), str) else "",
            }
        )
    return out


def whatsapp_message_reply(*, message_pk: int) -> str:
    """Answer one stored incoming message through the Cloud API (run by the ``whatsapp_reply`` task).

    Never twice, and never lost:

    - A run takes the message with a conditional update (a lease of
      ``WHATSAPP_REPLY_LEASE_SECONDS``, renewed before each reply): a second task
      for the same message (Meta's retried delivery, a re-enqueued task) finds it
      taken and comes back when the lease ends, in case this run died.
    - The replies are computed once and kept with the message (its text loses any
      tracking code in the same update; the replies keep it only until the
      message is answered or fails), so a later run sends the same replies.
    - Each reply Meta accepted is recorded (``WhatsAppOutbound``) at once; a
      later run sends only the replies not yet accepted. A multi-part reply
      whose second part failed resumes at the second part: the resident never
      gets the first part twice.
    - ``answered`` only once Meta accepted every reply. When Meta or the network
      still fails after the retries within the send (``chatbot.whatsapp``), the
      message waits as ``retry`` and the task runs again later (backoff from
      ``WHATSAPP_RETRY_SECONDS``), up to ``WHATSAPP_REPLY_RUNS`` runs and within
      WhatsApp's 24-hour window; a refusal that would fail again (a 4xx other
      than 429) marks it ``failed`` at once.

    Returns what happened: ``answered``, ``retry``, ``failed`` or ``skipped``
    (already answered or failed, taken by another run, or its number erased).
    """
    from chatbot import whatsapp

    lease = _whatsapp_claim(message_pk)
    if lease is None:
        return "skipped"
    message = WhatsAppMessage.objects.get(pk=message_pk)
    if message.received_at < timezone.now() - WHATSAPP_WINDOW:
        _whatsapp_finish(message, lease, WhatsAppMessage.Status.FAILED)  # WhatsApp no longer lets us answer
        return "failed"
    try:
        replies = message.pending_replies
        if replies is None:
            replies = _whatsapp_replies_compute(message)
        accepted = WhatsAppOutbound.objects.filter(in_reply_to=message).count()
        for reply in replies[accepted:]:
            renewed = _whatsapp_lease_renew(message.pk, lease)
            if renewed is None:
                return "skipped"  # this run outlived its lease and another took the message over
            lease = renewed
            message_id, kind, sent_text = whatsapp.send_reply(to=message.wa_id, reply=reply)
            with transaction.atomic():  # synchronous: Meta accepted it (see _bookkeeping)
                WhatsAppOutbound.objects.create(
                    message_id=message_id,
                    wa_id=message.wa_id,
                    kind=kind,
                    text=codes.redact(sent_text)[:4000],
                    in_reply_to=message,
                )
    except whatsapp.WhatsAppSendError as exc:
        if exc.retryable and message.attempts < settings.WHATSAPP_REPLY_RUNS:
            return _whatsapp_retry_later(message, lease, reason=str(exc))
        logger.warning("WhatsApp reply to message %s failed (%s)", message.pk, exc)
        _whatsapp_finish(message, lease, WhatsAppMessage.Status.FAILED)
        return "failed"
    except Exception:
        # A bug or an outage elsewhere (the database, the answerer): the run counts, the message waits.
        if message.attempts < settings.WHATSAPP_REPLY_RUNS:
            _whatsapp_retry_later(message, lease, reason="error")
        else:
            _whatsapp_finish(message, lease, WhatsAppMessage.Status.FAILED)
        raise
    _whatsapp_finish(message, lease, WhatsAppMessage.Status.ANSWERED)
    return "answered"


WHATSAPP_WINDOW = timedelta(hours=24)  # WhatsApp's customer service window


def _whatsapp_claim(message_pk: int) -> datetime | None:
    """Take a message waiting for its answer; the lease's end, or None (not waiting, or taken).

    A message taken by another run gets its task enqueued again for when that lease ends.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WHATSAPP_REPLY_LEASE_SECONDS)
    waiting = WhatsAppMessage.objects.filter(
        pk=message_pk, status__in=[WhatsAppMessage.Status.RECEIVED, WhatsAppMessage.Status.RETRY]
    ).exclude(wa_id="")  # its number erased: never answered (purge_expired closes it)
    with _bookkeeping():
        taken = waiting.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)).update(
            claimed_until=lease, attempts=F("attempts") + 1
        )
    if taken:
        return lease
    held = waiting.values_list("claimed_until", flat=True).first()
    if held is not None:
        _enqueue_reply_at(message_pk, held + timedelta(seconds=1))
    return None


def _whatsapp_lease_renew(message_pk: int, lease: datetime) -> datetime | None:
    renewed = timezone.now() + timedelta(seconds=settings.WHATSAPP_REPLY_LEASE_SECONDS)
    with _bookkeeping():
        if WhatsAppMessage.objects.filter(pk=message_pk, claimed_until=lease).update(claimed_until=renewed):
            return renewed
    return None


def _whatsapp_replies_compute(message: WhatsAppMessage) -> list[dict]:
    """Answer the message and keep the replies with it; its stored text loses any tracking code.

    Text, buttons and list replies are answered by the chat; so are an image or a
    location (with its ``payload`` as the ``attachment``), even without text: a
    flow in progress (a reclamo) decides what they mean. Other kinds (a sticker,
    an audio…) and empty texts get the polite "text only" answer, unless a
    reclamo is in progress: then its step says that it cannot read them and asks
    its question again (the flow goes on).
    """
    text = message.text
    attachment = message.payload if message.kind in _ATTACHMENT_KINDS else None
    if (message.kind in _CHAT_KINDS and text.strip()) or attachment:
        answer = chat_message_answer(sender=message.wa_id, text=text, channel="whatsapp", attachment=attachment)
        replies = answer["replies"]
    elif _flow_in_progress(message.wa_id):
        unreadable = None if message.kind in _CHAT_KINDS else {"type": message.kind}
        answer = chat_message_answer(sender=message.wa_id, text=text, channel="whatsapp", attachment=unreadable)
        replies = answer["replies"]
    else:
        replies = dialogue.text_only().replies
    replies = [{"text": reply.get("text") or "", "buttons": list(reply.get("buttons") or [])} for reply in replies]
    message.pending_replies = replies
    message.text = codes.redact(text)
    with _bookkeeping():
        WhatsAppMessage.objects.filter(pk=message.pk).update(pending_replies=replies, text=message.text)
    return replies


def _flow_in_progress(wa_id: str) -> bool:
    """Whether this WhatsApp number is in the middle of a guided flow (a reclamo) that has not expired."""
    since = timezone.now() - timedelta(minutes=settings.CHATBOT_CONVERSATION_MINUTES)
    return (
        Conversation.objects.filter(sender_hash=sender_hash(channel="whatsapp", sender=wa_id), updated_at__gte=since)
        .exclude(flow={})
        .exists()
    )


def _whatsapp_finish(message: WhatsAppMessage, lease: datetime, status: str) -> None:
    """Answered or failed for good: the lease, the kept replies, the payload (a point, a media id)
    and any code in the text go.

    Only while this run still holds the lease (a run that outlived it changes nothing).
    """
    fields = {
        "status": status,
        "claimed_until": None,
        "pending_replies": None,
        "payload": None,
        "text": codes.redact(message.text),
    }
    if status == WhatsAppMessage.Status.ANSWERED:
        fields["answered_at"] = timezone.now()
    with _bookkeeping():
        WhatsAppMessage.objects.filter(pk=message.pk, claimed_until=lease).update(**fields)


def _whatsapp_retry_later(message: WhatsAppMessage, lease: datetime, *, reason: str) -> str:
    delay = min(settings.WHATSAPP_RETRY_SECONDS * 2 ** max(0, message.attempts - 1), 3600)
    with _bookkeeping():
        WhatsAppMessage.objects.filter(pk=message.pk, claimed_until=lease).update(
            status=WhatsAppMessage.Status.RETRY, claimed_until=None
        )
    logger.warning(
        "WhatsApp reply to message %s not delivered (%s): run %d of %d, next in %d s",
        message.pk,
        reason,
        message.attempts,
        settings.WHATSAPP_REPLY_RUNS,
        delay,
    )
    _enqueue_reply_at(message.pk, timezone.now() + timedelta(seconds=delay))
    return "retry"


def _enqueue_reply_at(pk: int, when: datetime) -> None:
    """Run the reply task again at ``when`` (backends that defer: the database queue, RQ's scheduler).

    The immediate backend of the tests cannot defer: there a later run is the test's to start.
    """
    from chatbot import tasks

    try:
        if not tasks.whatsapp_reply.get_backend().supports_defer:
            return
        tasks.whatsapp_reply.using(run_after=when).enqueue(pk)
    except Exception:  # the queue is down: the message keeps waiting (retry) for the next run of its task
        logger.exception("could not enqueue the WhatsApp reply for message %s again", pk)


def whatsapp_notification_send(*, wa_id: str, subject: str, body: str, url: str = "") -> WhatsAppOutbound:
    """Notify someone who gave their WhatsApp number with consent (e.g. a complaint's status change).

    Free text inside the 24-hour customer service window; the approved template
    (parameters: subject, body) outside it, as the Cloud API requires. The
    ledger keeps the text with tracking codes redacted.
    """
    from chatbot import whatsapp

    if selectors.whatsapp_window_open(wa_id=wa_id):
        text = "\n".join(part for part in (subject, body, url) if part)
        message_id, kind, text = whatsapp.send_reply(to=wa_id, reply={"text": text, "buttons": []})
    else:
        message_id, kind, text = whatsapp.send_template(to=wa_id, params=[subject, body[:1000]])
    with transaction.atomic():
        return WhatsAppOutbound.objects.create(
            message_id=message_id, wa_id=wa_id, kind=kind, text=codes.redact(text)[:4000]
        )


# --- Retraining -------------------------------------------------------------------

RETRAIN_PENDING = "chatbot:retrain-pending"


def rasa_retrain_request(**_signal_kwargs) -> None:
    """A guide was published or unpublished: retrain in the background, once per burst.

    Connected to Wagtail's page signals for guides (``chatbot.apps``). An import of
    hundreds of guides enqueues one task: the pending flag is set until the task starts.
    """
    if not settings.CHATBOT_RETRAIN:
        return

    def enqueue() -> None:
        from chatbot import tasks

        if cache.add(RETRAIN_PENDING, "1", timeout=3600):
            try:
                tasks.rasa_retrain.enqueue()
            except Exception:
                cache.delete(RETRAIN_PENDING)
                logger.exception("could not enqueue the chatbot's retraining")

    transaction.on_commit(enqueue)


def rasa_retrain() -> str:
    """Regenerate the NLU training data from the live guides; when it changed, train and load the new
    model into the running Rasa (``PUT /model``), which keeps serving the old one until then.

    Facts never need this (the answerer reads them live): only new guides, titles and aliases do.
    Returns what happened: ``unchanged``, ``no-venv`` (this machine has no Rasa venv, e.g. the
    compose stack's worker: train as docker-compose.yml's rasa service explains), ``trained`` or
    ``trained-not-loaded`` (Rasa not running; it serves the newest model when it starts).
    """
    from chatbot import runtime
    from chatbot.export import build_training_data
    from chatbot.selectors import guide_catalogue

    cache.delete(RETRAIN_PENDING)
    runtime.write_project(build_training_data(guide_catalogue()))
    target = runtime.model_path()
    if target.exists():
        return "unchanged"
    if not runtime.venv_ready():
        logger.warning("guides changed but this machine has no Rasa venv to retrain; see README (asistente)")
        return "no-venv"
    model = runtime.ensure_model()
    try:
        rasa_client.load_model(model_path=str(model))
    except Exception as exc:  # httpx errors: Rasa not running (it loads the newest model when it starts)
        logger.warning("retrained the NLU model but could not load it into Rasa (%s)", type(exc).__name__)
        return "trained-not-loaded"
    return "trained"


# --- Retention --------------------------------------------------------------------


def purge_expired(*, now: datetime | None = None) -> dict:
    """Apply every retention rule of the chatbot; returns how many rows each rule touched.

    - the conversation log (``ChatExchange``) older than ``CHATBOT_LOG_RETENTION_DAYS`` is deleted;
    - a conversation's state (``Conversation``) idle for ``CHATBOT_CONVERSATION_MINUTES`` is deleted,
      and the photos of reclamos never filed after a day;
    - WhatsApp messages, replies and delivery statuses older than
      ``AYNI_WHATSAPP_LEDGER_RETENTION_DAYS`` are deleted;
    - older than ``AYNI_WHATSAPP_NUMBER_RETENTION_DAYS``, the rows that remain lose
      the number and Meta's message id (which encodes the number; a keyed hash
      takes its place so that the rows stay distinct);
    - raw webhook deliveries (``WhatsAppDelivery``) lose their body once processed and are
      deleted after the 24-hour window (processed or not);
    - a message still waiting for its answer after the 24-hour window (when
      WhatsApp no longer lets the portal answer) is marked failed, its text
      loses any tracking code and its payload (a point, a media id) goes.

    Run on a schedule by the worker (and by ``manage.py chatbot_purge_log``).
    """
    now = now or timezone.now()
    ledger_cutoff = now - timedelta(days=max(1, settings.AYNI_WHATSAPP_LEDGER_RETENTION_DAYS))
    number_cutoff = now - timedelta(days=max(1, settings.AYNI_WHATSAPP_NUMBER_RETENTION_DAYS))
    window_cutoff = now - timedelta(hours=24)
    counts = {"chat_exchanges": chat_log_purge(now=now)}
    idle = now - timedelta(minutes=settings.CHATBOT_CONVERSATION_MINUTES)
    with transaction.atomic():
        counts["conversations"] = Conversation.objects.filter(updated_at__lt=idle).delete()[0]
    # Photos of reclamos never filed (a flow cancelled or left half-way) go after a day.
    from chatbot import media

    counts["pending_photos"] = media.pending_photos_purge(older_than=timedelta(days=1))
    with transaction.atomic():
        counts["whatsapp_statuses"] = WhatsAppStatus.objects.filter(created_at__lt=ledger_cutoff).delete()[0]
        counts["whatsapp_outbound"] = WhatsAppOutbound.objects.filter(created_at__lt=ledger_cutoff).delete()[0]
        counts["whatsapp_messages"] = WhatsAppMessage.objects.filter(received_at__lt=ledger_cutoff).delete()[0]
    with transaction.atomic():
        # Raw webhook deliveries: the body goes once processed (whatsapp_deliveries_process); the rows
        # (a keyed hash) go after the 24-hour window, with the body of any the worker never took.
        counts["whatsapp_deliveries"] = WhatsAppDelivery.objects.filter(received_at__lt=window_cutoff).delete()[0]
    with transaction.atomic():
        # Waiting for a first answer or for a retry: past the window WhatsApp no longer lets us answer.
        unanswered = WhatsAppMessage.objects.select_for_update().filter(
            status__in=[WhatsAppMessage.Status.RECEIVED, WhatsAppMessage.Status.RETRY], received_at__lt=window_cutoff
        )
        counts["whatsapp_unanswered_closed"] = 0
        for message in unanswered.only("pk", "text"):
            WhatsAppMessage.objects.filter(pk=message.pk).update(
                status=WhatsAppMessage.Status.FAILED,
                text=codes.redact(message.text),
                payload=None,
                pending_replies=None,
                claimed_until=None,
            )
            counts["whatsapp_unanswered_closed"] += 1
    counts["whatsapp_numbers_erased"] = 0
    for model, time_field in ((WhatsAppMessage, "received_at"), (WhatsAppOutbound, "created_at")):
        expired = model.objects.filter(**{f"{time_field}__lt": number_cutoff}).exclude(wa_id="")
        with transaction.atomic():
            for pk, message_id in expired.values_list("pk", "message_id").iterator():
                model.objects.filter(pk=pk).update(wa_id="", message_id=_erased_id(message_id))
                counts["whatsapp_numbers_erased"] += 1
    counts["whatsapp_status_ids_erased"] = 0
    with transaction.atomic():
        statuses = WhatsAppStatus.objects.filter(created_at__lt=number_cutoff).exclude(message_id__startswith="h:")
        for pk, message_id in statuses.values_list("pk", "message_id").iterator():
            WhatsAppStatus.objects.filter(pk=pk).update(recipient="", message_id=_erased_id(message_id))
            counts["whatsapp_status_ids_erased"] += 1
    return counts


def _erased_id(message_id: str) -> str:
    """A keyed hash in place of Meta's id (``wamid.…`` encodes the number); the same id gives the same hash."""
    if not message_id or message_id.startswith("h:"):
        return message_id
    return "h:" + key_for(message_id, namespace="whatsapp")


# --- Unanswered questions staff dealt with (issue 13, item 4) ------------------------------------


def unanswered_mark_handled(*, key: str, user, guide=None, alias: str = ""):
    """Mark the group of unanswered questions ``key`` as handled by ``user`` (again, if it was).

    Marks older than the log's retention go at the same time: the questions they covered are gone.
    """
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from chatbot.models import UnansweredHandled

    key = " ".join((key or "").split())
    if not key or len(key) > 255:
        raise ValidationError(_("Pregunta no válida."))
    now = timezone.now()
    UnansweredHandled.objects.filter(handled_at__lt=now - timedelta(days=settings.CHATBOT_LOG_RETENTION_DAYS)).delete()
    mark, _created = UnansweredHandled.objects.update_or_create(
        key=key, defaults={"handled_by": user, "handled_at": now, "guide": guide, "alias": alias}
    )
    return mark
