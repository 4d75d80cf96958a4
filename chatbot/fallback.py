"""The answerer used when Rasa is down, slow or switched off (``engine: "fallback"``).

It reads the same guide facts as the action server (cms selectors, the data of
``/api/guides/<slug>/``), resolves the guide with the portal's search plus the
bot's own lexical index (``chatbot.resolver``), and words the answer with the
shared ``chatbot.actions.compose`` functions.
"""

from __future__ import annotations

import json
import logging
import re

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ayni.clients import chat_sender_key
from ayni.ratelimit import RateLimited
from chatbot import selectors
from chatbot.actions import compose
from chatbot.resolver import MIN_SCORE, SEARCH_BONUS, guide_index

logger = logging.getLogger(__name__)

LAST_GUIDE_SECONDS = 30 * 60
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.S)

SMALL_TALK: list[tuple[str, re.Pattern]] = [
    ("thank", re.compile(r"\b(gracias|grax|grcias|agradezco|muy amable|thanks|thank you|dios le pague)\b")),
    ("goodbye", re.compile(r"\b(chau|chao|adios|hasta luego|hasta pronto|hasta manana|bye|nos vemos)\b")),
    (
        "bot_challenge",
        re.compile(r"\b(bot|robot|humano|maquina|inteligencia artificial|eres una persona|con quien hablo)\b"),
    ),
    ("menu", re.compile(r"^(menu|menu principal|opciones|ayuda|inicio|volver)$")),
    (
        "greet",
        re.compile(r"^(hola+|ola|buenas|buenos dias|buen dia|buenas tardes|buenas noches|saludos|hey|hi|hello|alo)\b"),
    ),
]
COMPLAINT_WORDS = re.compile(r"\b(reclamo|reclamos|denuncia|denuncias|queja|quejas|seguimiento)\b")


def fallback_answer(*, sender: str, text: str, request: HttpRequest | None = None) -> dict:
    """Answer one message without Rasa: {replies, intent, confidence, guide, answered}.

    ``sender`` is the conversation's hash (``chatbot.services.sender_hash``); a
    tracking-code lookup counts against that sender's ``tracking`` limit (the
    client's was counted by ``tracking_limit_answer`` before either engine ran).
    """
    payload = _PAYLOAD.match(text.strip())
    if payload:
        return _answer_payload(sender, payload.group("intent"), payload.group("entities"), request)

    norm = compose.normalize(text)
    code = compose.find_tracking_code(text)
    if code or COMPLAINT_WORDS.search(norm):
        return _answer_complaint(code, sender=sender)

    slug, score = resolve_guide(text)
    if slug:
        asks = _asks_for(text, slug)
        return _answer_guide(sender, slug, asks, request, confidence=min(score / 10, 1.0))

    for intent, pattern in SMALL_TALK:
        if pattern.search(norm):
            return _small_talk(intent)

    asks = compose.detect_asks(text)
    last = cache.get(_last_key(sender))
    if asks and last and not _unknown_words(text):
        return _answer_guide(sender, last, asks, request, confidence=0.5)
    if asks and not _unknown_words(text):
        return _result([_reply(compose.compose_ask_which(_phone()), compose.menu_buttons())], f"ask_{asks}", None)
    return _not_understood()


def resolve_guide(text: str) -> tuple[str | None, float]:
    """The best guide for a question and its score (None below the threshold)."""
    index = guide_index()
    ranked = index.score(text, boosts=_search_boosts(text))
    if not ranked or ranked[0][1] < MIN_SCORE:
        return None, ranked[0][1] if ranked else 0.0
    return ranked[0]


def _search_boosts(text: str) -> dict[str, float]:
    """The portal search's ranking of guides for the question's content words."""
    query = " ".join(compose.content_words(text))
    if not query:
        return {}
    try:
        slugs = _portal_search_guides(query)
    except Exception:  # the search app is optional here; never fail an answer for it
        logger.warning("portal search failed for the chat fallback", exc_info=settings.DEBUG)
        return {}
    return {slug: bonus for slug, bonus in zip(slugs, SEARCH_BONUS, strict=False)}


def _portal_search_guides(query: str) -> list[str]:
    """Slugs of the portal search's top guides (``search.selectors.search``, type "guide")."""
    from search import selectors as search_selectors

    outcome = search_selectors.search(query=query, type_name="guide")
    if getattr(outcome, "popular", False):
        return []
    return [hit.slug for hit in outcome.hits[:3] if hit.slug]


def _asks_for(text: str, slug: str) -> str:
    """The fact asked for; "online" words that are part of the guide's name ("vender por internet") don't count."""
    asks = compose.detect_asks(text)
    if asks == "online":
        asks = compose.detect_asks(_without_names(text, slug))
    return asks or "requirements"


def _without_names(text: str, slug: str) -> str:
    """The question without the words of the guide's names, so "vender por internet" is not "online"."""
    entry = guide_index().entries.get(slug)
    if entry is None:
        return text
    from chatbot.resolver import stem

    kept = [w for w in compose.words(text) if stem(w) not in entry.name_stems]
    return " ".join(kept)


def _unknown_words(text: str) -> list[str]:
    return compose.content_words(text)


def _answer_guide(sender: str, slug: str, asks: str, request, *, confidence: float) -> dict:
    guide = selectors.guide_facts(slug=slug, request=request)
    if guide is None:
        return _not_understood()
    if guide["url"].startswith("/"):  # no request (websocket, WhatsApp): the portal's public address
        guide["url"] = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + guide["url"]
    cache.set(_last_key(sender), slug, LAST_GUIDE_SECONDS)
    return _result(
        [_reply(compose.compose_fact(guide, asks))],
        f"ask_{asks}",
        {"slug": guide["slug"], "url": guide["url"], "title": guide["title"]},
        confidence=confidence,
    )


def _answer_payload(sender: str, intent: str, raw_entities: str | None, request) -> dict:
    try:
        entities = json.loads(raw_entities) if raw_entities else {}
    except ValueError:
        entities = {}
    if not isinstance(entities, dict):
        entities = {}
    if intent in compose.ASK_INTENTS and entities.get("procedure"):
        return _answer_guide(sender, str(entities["procedure"]), compose.ASK_INTENTS[intent], request, confidence=1.0)
    if intent == "menu_option":
        return menu_option_answer(str(entities.get("menu_category", "")))
    if intent in {"greet", "thank", "goodbye", "bot_challenge", "menu"}:
        return _small_talk(intent)
    return _not_understood()


def menu_option_answer(key: str) -> dict:
    options = {k: cats for k, _t, cats in compose.MENU_OPTIONS}
    if key not in options:
        return _small_talk("menu")
    listed = [c for cats in options.values() if cats for c in cats]
    guides = selectors.guides_for_menu(category_slugs=options[key], exclude_slugs=listed)
    text = _("%(option)s: elija un trámite o escriba su pregunta.") % {"option": compose.menu_title(key)}
    return _result([_reply(text, [compose.guide_button(g) for g in guides[:10]])], "menu_option", None)


def _answer_complaint(code: str | None, *, sender: str) -> dict:
    if not code:
        return _result([_reply(compose.compose_complaint_ask_code())], "complaint_status", None)
    try:
        data = complaint_status(code=code, sender=sender)
    except TrackingLimited:
        return tracking_limited_result()
    except LookupError:
        return _result(
            [_reply(compose.compose_complaint_unavailable(_phone()))], "complaint_status", None, answered=False
        )
    if data is None:
        return _result([_reply(compose.compose_complaint_not_found(code))], "complaint_status", None)
    return _result([_reply(compose.compose_complaint(data))], "complaint_status", None)


class TrackingLimited(Exception):
    """Too many tracking-code lookups from this client or sender."""


def complaint_status(*, code: str, sender: str, client: str = "") -> dict | None:
    """A complaint's public status by tracking code; None if there is none.

    The lookup goes through ``participation.services.complaint_track`` and counts
    against the ``tracking`` limit of the sender (and of ``client`` if given):
    TrackingLimited over it. LookupError when participation offers no lookup
    (the app is optional here).
    """
    try:
        from participation import codes, services
        from participation import selectors as participation_selectors
    except ImportError as exc:
        raise LookupError("participation is not available") from exc
    try:
        complaint = services.complaint_track(raw_code=code, client=client, keys=[chat_sender_key(sender)])
    except RateLimited as exc:
        raise TrackingLimited from exc
    except codes.MalformedCode:
        return None
    if complaint is None:
        return None
    return participation_selectors.complaint_public(complaint=complaint)


def tracking_limit_answer(*, text: str, client: str) -> dict | None:
    """Count a message that holds a tracking code against the client's ``tracking`` limit.

    Run by the answerer before either engine, so a lookup counts against the
    client (here) and the sender (at the lookup: ``complaint_status`` for the
    fallback, the portal's lookup API for the Rasa action server) on every
    channel. Returns the answer to give instead when the client is over the limit.
    """
    if not client or not compose.find_tracking_code(text):
        return None
    try:
        from participation.services.common import rate_limit
    except ImportError:
        return None
    try:
        rate_limit(scope="tracking", client=client)
    except RateLimited:
        return tracking_limited_result()
    return None


def tracking_limited_result() -> dict:
    return _result([_reply(compose.compose_complaint_too_many())], "complaint_status", None, answered=False)


def _small_talk(intent: str) -> dict:
    texts = {
        "greet": _(
            "¡Hola! Soy el asistente virtual del municipio. Pregúnteme por los requisitos, el costo, el tiempo, "
            "la oficina de un trámite o si se puede hacer en línea."
        ),
        "thank": _("¡Con gusto! ¿Le ayudo con otro trámite?"),
        "goodbye": _("¡Hasta pronto! Si necesita algo más, escríbame cuando quiera."),
        "bot_challenge": _(
            "Soy un asistente virtual (un programa), no una persona. Respondo con la información de las guías "
            "de trámites del portal. Para hablar con una persona, llame gratis al %(phone)s."
        )
        % {"phone": _phone()},
        "menu": compose.compose_menu_intro(),
    }
    buttons = compose.menu_buttons() if intent in {"greet", "menu"} else []
    return _result([_reply(texts[intent], buttons)], intent, None)


def _not_understood() -> dict:
    return _result(
        [_reply(compose.compose_not_understood(_phone()), compose.menu_buttons())], "nlu_fallback", None, answered=False
    )


def _reply(text: str, buttons: list[dict] | None = None) -> dict:
    return {"text": text, "buttons": buttons or []}


def _result(replies, intent, guide, *, confidence: float | None = None, answered: bool = True) -> dict:
    return {"replies": replies, "intent": intent, "confidence": confidence, "guide": guide, "answered": answered}


def _last_key(sender: str) -> str:
    return f"chatbot:last-guide:{sender}"


def _phone() -> str:
    return settings.AYNI_MUNICIPALITY_PHONE
