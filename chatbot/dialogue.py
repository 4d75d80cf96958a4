"""The one answerer: an :class:`~chatbot.understanding.Understanding` and the
conversation's state in, the bot's replies out — the same for Rasa's
understanding and the built-in one.

Facts come from the guide's typed fields (``chatbot.selectors.guide_facts``),
words from ``chatbot.texts``; which guide a question is about is decided here
with the shared guide index (``chatbot.resolver``). When the two best guides
are too close to call, the bot asks ("¿Te refieres a…?") with up to three
options instead of guessing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.http import HttpRequest

from ayni.clients import chat_sender_key
from ayni.ratelimit import RateLimited
from chatbot import flows, resolver, selectors, texts
from chatbot.understanding import SMALL_TALK, Understanding, detect_asks, second_asks

logger = logging.getLogger(__name__)

MAX_OPTIONS = 3
MAX_MENU_ROWS = 10  # a WhatsApp list holds ten rows


@dataclass
class State:
    """What a conversation remembers between messages (``chatbot.models.Conversation``)."""

    last_guide: str = ""
    options: list[str] = field(default_factory=list)
    pending_asks: str = ""
    language: str = ""
    flow: dict = field(default_factory=dict)  # a guided flow in progress (chatbot.flows)


@dataclass
class Result:
    replies: list[dict]
    intent: str
    guide: dict | None = None  # {"slug", "url", "title"}
    options: list[dict] = field(default_factory=list)  # [{"slug", "title"}] of a clarifying question
    confidence: float | None = None
    answered: bool = True


def reply(text: str, buttons: list[dict] | None = None) -> dict:
    return {"text": text, "buttons": buttons or []}


def answer(*, text: str, understanding: Understanding, state: State, request: HttpRequest | None = None,
           sender: str = "", ranking: resolver.Ranking | None = None, channel: str = "web",
           attachment: dict | None = None, contact: str = "") -> Result:  # fmt: skip
    """Answer one message; ``state`` is updated in place for the next one.

    ``ranking``: the guides ranked for ``text`` (``resolver.rank``) if the caller already has them.
    ``attachment``: a WhatsApp location or image (for a flow in progress); ``contact``: the
    resident's WhatsApp number, used only if they consent to updates on a case they file.
    """
    u = understanding
    early = _report_or_attachment(text, u, state, channel=channel, attachment=attachment, contact=contact)
    if early is not None:
        return early
    if u.from_button:
        return _button(u, state, request)
    if u.intent == "complaint_status" and (u.code or not _names_a_guide(text, ranking)):
        state.options = []
        return _complaint(u.code, sender=sender)
    if state.options and u.choice is not None:
        return _choice(u.choice, state, request)

    ranking = ranking.with_entities(u.procedures) if ranking else resolver.rank(text, entities=u.procedures)
    if u.intent in SMALL_TALK and not ranking.phrase_match and not detect_asks(text):
        # "ya ya, gracias x la info hermano": thanks, even if some words look like a guide's.
        return _small_talk(u.intent)
    if ranking.national or (u.intent == "out_of_scope" and not ranking.anchored):
        state.options = []
        return Result([reply(texts.out_of_scope(), _menu_buttons())], "out_of_scope", answered=True)
    if ranking.guides and (ranking.anchored or u.intent != "nlu_fallback" or detect_asks(text)):
        return _ranked_guide(text, u, ranking, state, request)
    # Nothing asked, no intent and no word of a guide's name ("contame un chiste"): not a guide question.
    return _no_guide(text, u, ranking, state, request)


def _names_a_guide(text: str, ranking: resolver.Ranking | None) -> bool:
    """The message says a guide's name in full ("la denuncia por ruido se puede hacer en linea?"):
    a question about that guide, not about following a case (which needs a code)."""
    ranking = ranking or resolver.rank(text)
    return bool(ranking.guides) and ranking.guides[0][0] in ranking.phrase_match


def empty(*, had_text: bool) -> Result:
    """A message with no letter or digit: emoji or punctuation only, or nothing at all."""
    if had_text:
        return Result([reply(texts.not_understood(), _menu_buttons())], "nlu_fallback", answered=False)
    return Result([reply(texts.empty(), _menu_buttons())], "empty", answered=False)


def text_only() -> Result:
    return Result([reply(texts.text_only())], "unsupported_message", answered=False)


# --- pieces --------------------------------------------------------------------------


def _report_or_attachment(
    text: str, u: Understanding, state: State, *, channel: str, attachment: dict | None, contact: str
) -> Result | None:
    """A guided report in progress or asked for, an anonymous denuncia, or an attachment outside a flow."""
    if state.flow:
        flow, replies = flows.step(flow=state.flow, text=text, attachment=attachment, contact=contact)
        state.flow = flow or {}
        return Result(replies, "report_problem")
    if (u.intent == "report_problem" or flows.wants_to_report(text)) and not u.code:
        if flows.wants_anonymity(text):
            return Result(flows.anonymous_answer(), "report_anonymous")
        state.flow, replies = flows.start(text="" if u.from_button else text, channel=channel)
        state.options = []
        return Result(replies, "report_problem")
    if flows.wants_anonymity(text) and re.search(r"denunci", text, re.IGNORECASE):
        return Result(flows.anonymous_answer(), "report_anonymous")
    if attachment:  # a photo or a location outside any flow
        return Result([reply(texts.attachment_without_flow(), _menu_buttons())], "attachment", answered=False)
    return None


def _ranked_guide(text: str, u: Understanding, ranking: resolver.Ranking, state: State, request) -> Result:
    """The best-ranked guide's fact, or a clarifying question when the two best are too close to call."""
    # The fact asked: the message's own words when they say it, Rasa's intent only when they do not
    # (on the 183-guide set Rasa's intent alone got the fact wrong more often than the words).
    hint = u.asks if u.engine == "rasa" and not detect_asks(text) else None
    asks = resolver.asks_for(text, ranking.guides[0][0], hint=hint)
    close = ranking.close_call()
    if close:
        return _clarify(close, asks, state, confidence=ranking.confidence)
    # Where to go comes with what to take there.
    also = second_asks(text, asks) or (["requirements"] if asks == "office" else [])
    return _guide(ranking.guides[0][0], asks, state, request, confidence=ranking.confidence, also=also)


def _no_guide(text: str, u: Understanding, ranking: resolver.Ranking, state: State, request) -> Result:
    """No guide ranked: small talk, a fact of the last guide, a question about which guide, or not understood."""
    if u.intent in SMALL_TALK:
        return _small_talk(u.intent)
    if u.intent.startswith("ask_") or u.asks:
        asks = u.asks or detect_asks(text) or "requirements"
        if state.last_guide and not ranking.unknown_words:
            return _guide(state.last_guide, asks, state, request, confidence=0.5)
        if not ranking.unknown_words:
            state.pending_asks = asks
            return Result([reply(texts.ask_which(), _menu_buttons())], f"ask_{asks}", answered=False)
    if u.intent == "out_of_scope":
        return Result([reply(texts.out_of_scope(), _menu_buttons())], "out_of_scope")
    return _not_understood()


def _button(u: Understanding, state: State, request) -> Result:
    if u.procedure and u.asks:
        return _guide(u.procedure, u.asks, state, request, confidence=1.0)
    if u.intent == "menu_option":
        return _menu_option(u.category or "")
    if u.intent == "none_of_these":
        state.options = []
        return Result([reply(texts.clarify_none(), _menu_buttons())], "none_of_these", answered=False)
    if u.intent in SMALL_TALK:
        return _small_talk(u.intent)
    return _not_understood()


def _choice(choice: int, state: State, request) -> Result:
    options, asks = state.options, state.pending_asks or "requirements"
    state.options = []
    if 1 <= choice <= len(options):
        return _guide(options[choice - 1], asks, state, request, confidence=1.0)
    return Result([reply(texts.clarify_none(), _menu_buttons())], "none_of_these", answered=False)


def _guide(
    slug: str, asks: str, state: State, request, *, confidence: float | None, also: list[str] | None = None
) -> Result:
    """The asked fact of a guide (and a second one asked in the same message)."""
    guide = selectors.guide_facts(slug=slug, request=request)
    if guide is None:
        state.options = []
        return _not_understood()
    if guide["url"].startswith("/"):  # no request (websocket, WhatsApp): the portal's public address
        guide["url"] = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + guide["url"]
    state.last_guide, state.options, state.pending_asks = slug, [], ""
    return Result(
        [reply(texts.facts(guide, [asks, *(also or [])]))],
        f"ask_{asks}",
        guide={"slug": guide["slug"], "url": guide["url"], "title": guide["title"]},
        confidence=confidence,
    )


def _clarify(slugs: list[str], asks: str, state: State, *, confidence: float | None) -> Result:
    titles = selectors.guide_titles(slugs=slugs[:MAX_OPTIONS])
    options = [{"slug": slug, "title": titles[slug]} for slug in slugs[:MAX_OPTIONS] if slug in titles]
    state.options = [option["slug"] for option in options]
    state.pending_asks = asks
    buttons = [texts.guide_button(option, asks) for option in options]
    return Result(
        [reply(texts.clarify(), buttons)], f"ask_{asks}", options=options, confidence=confidence, answered=True
    )


def _menu_buttons() -> list[dict]:
    # A WhatsApp list holds ten rows: reporting a problem, then the areas of procedures.
    return [texts.report_button(), *texts.menu_buttons(selectors.menu_categories()[: MAX_MENU_ROWS - 1])]


def _menu_option(category_slug: str) -> Result:
    categories = {c["slug"]: c for c in selectors.menu_categories()}
    category = categories.get(category_slug)
    if category is None:
        return _small_talk("menu")
    guides = selectors.guides_for_menu(category_slug=category_slug)
    buttons = [texts.guide_button(g) for g in guides[:MAX_MENU_ROWS]]
    return Result([reply(texts.menu_option(category["name"]), buttons)], "menu_option")


def _small_talk(intent: str) -> Result:
    words = {
        "greet": texts.greet,
        "thank": texts.thank,
        "goodbye": texts.goodbye,
        "bot_challenge": texts.bot_challenge,
        "menu": texts.menu_intro,
    }
    buttons = _menu_buttons() if intent in {"greet", "menu"} else []
    return Result([reply(words[intent](), buttons)], intent)


def _not_understood() -> Result:
    return Result([reply(texts.not_understood(), _menu_buttons())], "nlu_fallback", answered=False)


# --- complaints --------------------------------------------------------------------


class TrackingLimited(Exception):
    """Too many tracking-code lookups from this client or sender."""


def _complaint(code: str | None, *, sender: str) -> Result:
    if not code:
        return Result([reply(texts.complaint_ask_code())], "complaint_status")
    try:
        data = complaint_status(code=code, sender=sender)
    except TrackingLimited:
        return tracking_limited()
    except LookupError:
        return Result([reply(texts.complaint_unavailable())], "complaint_status", answered=False)
    if data is None:
        return Result([reply(texts.complaint_not_found(code))], "complaint_status")
    return Result([reply(texts.complaint(data))], "complaint_status")


def complaint_status(*, code: str, sender: str, client: str = "") -> dict | None:
    """A complaint's public status by tracking code, in process; None if there is none.

    Through ``participation.services.complaint_track``: the lookup counts against
    the ``tracking`` limit of the conversation (its hashed sender) and of
    ``client`` if given, the same on every channel (TrackingLimited over it).
    LookupError when the participation app is not installed.
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


def tracking_limited() -> Result:
    return Result([reply(texts.complaint_too_many())], "complaint_status", answered=False)
