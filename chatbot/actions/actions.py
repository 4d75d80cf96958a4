"""Custom actions (rasa-sdk 3.6, run in the Rasa venv by ``rasa run actions``).

Every fact comes from the portal's API at answer time — ``/api/guides/<slug>/``
for a guide, ``/api/chat/resolve/`` (portal search + the bot's index) to find one,
``POST /api/complaints/lookup/`` (the code in the body, never in a URL) for a
complaint — never from text copied into the bot.

Environment: AYNI_PORTAL_URL (the portal as the action server reaches it),
AYNI_PUBLIC_URL (the portal's public address, used in links),
AYNI_MUNICIPALITY_PHONE, AYNI_PORTAL_TIMEOUT (seconds), AYNI_INTERNAL_TOKEN
(the portal's setting of the same name; ``make run`` and compose give both the
Rasa auth token): with it, a tracking lookup names the conversation in
``X-Ayni-Chat-Sender`` and counts against that sender's limit instead of the
action server's single address.
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import quote

import aiohttp
from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from chatbot.actions import compose

logger = logging.getLogger(__name__)

PORTAL_URL = os.environ.get("AYNI_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
PUBLIC_URL = os.environ.get("AYNI_PUBLIC_URL", "").rstrip("/")
PHONE = os.environ.get("AYNI_MUNICIPALITY_PHONE", "800-13-5555")
TIMEOUT = float(os.environ.get("AYNI_PORTAL_TIMEOUT", "3"))
INTERNAL_TOKEN = os.environ.get("AYNI_INTERNAL_TOKEN", "")  # the portal's setting of the same name


class PortalUnavailable(Exception):
    pass


class Portal:
    """The portal's JSON API, as the action server sees it."""

    _session: aiohttp.ClientSession | None = None

    @classmethod
    def session(cls) -> aiohttp.ClientSession:
        if cls._session is None or cls._session.closed:
            cls._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
        return cls._session

    @classmethod
    async def _request(cls, method: str, path: str, **kwargs) -> tuple[int, Any]:
        """(status, JSON or None). Non-JSON answers (e.g. a route that does not exist) give None."""
        try:
            async with cls.session().request(method, f"{PORTAL_URL}{path}", **kwargs) as response:
                if "json" not in (response.headers.get("Content-Type") or ""):
                    return response.status, None
                return response.status, await response.json()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise PortalUnavailable(str(exc)) from exc

    @classmethod
    async def get(cls, path: str, params: dict | None = None) -> tuple[int, Any]:
        return await cls._request("GET", path, params=params)

    @classmethod
    async def post(cls, path: str, payload: dict, headers: dict | None = None) -> tuple[int, Any]:
        """(status, JSON or None) of a JSON POST."""
        return await cls._request("POST", path, json=payload, headers=headers or {})

    @classmethod
    async def complaint(cls, code: str, *, sender: str) -> tuple[int, Any]:
        """A tracking lookup for a conversation (``sender``: the portal's hash of it)."""
        return await cls.post("/api/complaints/lookup/", {"code": code}, lookup_headers(sender))

    @classmethod
    async def guide(cls, slug: str) -> dict | None:
        if not slug or "/" in slug:
            return None
        status, data = await cls.get(f"/api/guides/{quote(slug)}/")
        if status == 200 and isinstance(data, dict):
            return _public(data)
        return None

    @classmethod
    async def search_guide(cls, query: str) -> str | None:
        """The guide a free-text question is about.

        ``/api/chat/resolve/`` ranks the guides with the portal search's own ranking
        (``search.selectors.search``) plus the bot's lexical index of titles, aliases and
        training phrases, and answers "none" below a threshold. The plain search API
        (``/api/search/?type=guide``) is the fallback when that endpoint is missing: it
        always returns its best hit, which for chat phrasing is more often wrong.
        """
        status, data = await cls.get("/api/chat/resolve/", {"q": query})
        if status == 200 and isinstance(data, dict):
            return data.get("slug")
        status, data = await cls.get("/api/search/", {"q": query, "type": "guide"})
        if status == 200 and isinstance(data, dict) and not data.get("popular"):
            for item in data.get("results") or []:
                if isinstance(item, dict) and item.get("type") == "guide" and item.get("slug"):
                    return item["slug"]
        return None


def lookup_headers(sender: str, token: str | None = None) -> dict:
    """Headers that let the portal count a lookup against the conversation, not the action server.

    Without the shared token nothing is sent: the portal would ignore the sender anyway.
    """
    token = INTERNAL_TOKEN if token is None else token
    if not token or not sender:
        return {}
    return {"X-Ayni-Internal-Token": token, "X-Ayni-Chat-Sender": str(sender)[:128]}


def _public(guide: dict) -> dict:
    """Links point to the portal's public address, not to the loopback one the action server uses."""
    if PUBLIC_URL and guide.get("url", "").startswith(PORTAL_URL):
        guide = {**guide, "url": PUBLIC_URL + guide["url"][len(PORTAL_URL) :]}
    return guide


def _meta(dispatcher: CollectingDispatcher, **data) -> None:
    dispatcher.utter_message(json_message={"ayni": data})


class ActionAnswerGuide(Action):
    """Requirements, cost, duration, office or online availability of a guide."""

    def name(self) -> str:
        return "action_answer_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        message = tracker.latest_message or {}
        intent = (message.get("intent") or {}).get("name") or ""
        asks = compose.ASK_INTENTS.get(intent, "requirements")
        text = message.get("text") or ""
        try:
            guide = await self._resolve(tracker, message, text)
        except PortalUnavailable:
            logger.exception("portal unavailable")
            dispatcher.utter_message(text=compose.compose_guides_unavailable(PHONE))
            _meta(dispatcher, answered=False)
            return []
        if guide is None:
            dispatcher.utter_message(text=compose.compose_ask_which(PHONE), buttons=compose.menu_buttons())
            _meta(dispatcher, answered=False, asks=asks)
            return [SlotSet("procedure", None)]
        dispatcher.utter_message(text=compose.compose_fact(guide, asks))
        _meta(dispatcher, guide={"slug": guide["slug"], "url": guide["url"], "title": guide["title"]}, asks=asks)
        return [SlotSet("guide", guide["slug"]), SlotSet("procedure", None)]

    async def _resolve(self, tracker: Tracker, message: dict, text: str) -> dict | None:
        """The guide a message is about: a procedure entity mapped to a slug (the longest mention
        first), else the portal's search over the whole message, else the last guide talked about."""
        entities = [e for e in message.get("entities") or [] if e.get("entity") == "procedure" and e.get("value")]
        entities.sort(key=lambda e: -(int(e.get("end", 0)) - int(e.get("start", 0))))
        tried: set[str] = set()
        for entity in entities:
            value = str(entity["value"])
            if "-" in value and value not in tried:  # synonym-mapped values are slugs
                tried.add(value)
                guide = await Portal.guide(value)
                if guide:
                    return guide
        words = compose.content_words(text)
        if words and not text.startswith("/"):
            slug = await Portal.search_guide(" ".join(words))
            guide = await Portal.guide(slug) if slug else None
            if guide:
                return guide
        last = tracker.get_slot("guide")
        return await Portal.guide(last) if last else None


class ActionComplaintStatus(Action):
    def name(self) -> str:
        return "action_complaint_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        message = tracker.latest_message or {}
        code = compose.find_tracking_code(message.get("text") or "")
        for entity in message.get("entities") or []:
            if not code and entity.get("entity") == "tracking_code" and entity.get("value"):
                code = compose.find_tracking_code(str(entity["value"]))
        if not code:
            dispatcher.utter_message(text=compose.compose_complaint_ask_code())
            _meta(dispatcher, answered=True)
            return []
        try:
            status, data = await Portal.complaint(code, sender=tracker.sender_id)
        except PortalUnavailable:
            status, data = 503, None
        if status == 200 and isinstance(data, dict):
            dispatcher.utter_message(text=compose.compose_complaint({"code": code, **data}))
            _meta(dispatcher, answered=True)
        elif status in (400, 404) and isinstance(data, dict):
            dispatcher.utter_message(text=compose.compose_complaint_not_found(code))
            _meta(dispatcher, answered=True)
        elif status == 429:
            dispatcher.utter_message(text=compose.compose_complaint_too_many())
            _meta(dispatcher, answered=False)
        else:
            dispatcher.utter_message(text=compose.compose_complaint_unavailable(PHONE))
            _meta(dispatcher, answered=False)
        return [SlotSet("tracking_code", None)]


class ActionMenuOption(Action):
    """One of the contact center's four options: the guides under it, as buttons."""

    def name(self) -> str:
        return "action_menu_option"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        key = str(tracker.get_slot("menu_category") or "")
        options = {k: cats for k, _t, cats in compose.MENU_OPTIONS}
        if key not in options:
            dispatcher.utter_message(text=compose.compose_menu_intro(), buttons=compose.menu_buttons())
            return []
        try:
            guides = await self._guides(options, key)
        except PortalUnavailable:
            guides = []
        text = f"{compose.menu_title(key)}: elija un trámite o escriba su pregunta."
        dispatcher.utter_message(text=text, buttons=[compose.guide_button(g) for g in guides[:10]])
        return [SlotSet("menu_category", None)]

    async def _guides(self, options: dict, key: str) -> list[dict]:
        if options[key] is not None:
            out: list[dict] = []
            for category in options[key]:
                status, data = await Portal.get("/api/guides/", {"category": category, "limit": 100})
                out.extend((data or {}).get("items", []) if status == 200 else [])
            return out
        status, data = await Portal.get("/api/guides/", {"limit": 100})
        everything = (data or {}).get("items", []) if status == 200 else []
        listed: set[str] = set()
        for cats in options.values():
            for category in cats or []:
                status, data = await Portal.get("/api/guides/", {"category": category, "limit": 100})
                listed.update(g["slug"] for g in (data or {}).get("items", []) if status == 200)
        return [g for g in everything if g["slug"] not in listed]


class ActionNotUnderstood(Action):
    """Says it did not understand, offers the menu and the free line."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list:
        dispatcher.utter_message(text=compose.compose_not_understood(PHONE), buttons=compose.menu_buttons())
        _meta(dispatcher, answered=False)
        return []
