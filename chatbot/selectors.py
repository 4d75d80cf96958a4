"""Reads of the chatbot app: guides as the bot sees them, the log, WhatsApp state."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from chatbot.models import ChatExchange, WhatsAppMessage
from cms import selectors as cms_selectors

WHATSAPP_WINDOW = timedelta(hours=24)


def guide_catalogue() -> list[dict]:
    """Every live guide's names and words (what the fallback resolver and the Rasa export use)."""
    out = []
    for page in cms_selectors.guide_list():
        out.append(
            {
                "slug": page.slug,
                "title": page.title,
                "aliases": [alias.name for alias in page.alternative_names.all()],
                "tags": sorted(tag.name for tag in page.tags.all()),
                "summary": page.summary or "",
                "requirements": [r.text for r in page.requirements.all()],
                "steps": [step.text for step in page.steps.all()],
                "category": page.category.name if page.category else "",
                "category_slug": page.category.slug if page.category else "",
            }
        )
    return out


# Within one answer the guides' fingerprint is read once (``guide_fingerprint_once``).
_ANSWER_FINGERPRINT: ContextVar[list | None] = ContextVar("chatbot_guide_fingerprint", default=None)


def guide_fingerprint() -> tuple:
    """Changes whenever a guide is published, unpublished, added or removed."""
    from cms.models import GuidePage

    held = _ANSWER_FINGERPRINT.get()
    if held:
        return held[0]
    stats = GuidePage.objects.live().aggregate(n=Count("pk"), last=Max("last_published_at"))
    fingerprint = (stats["n"], stats["last"])
    if held is not None:
        held.append(fingerprint)
    return fingerprint


@contextmanager
def guide_fingerprint_once() -> Iterator[None]:
    """Read the fingerprint at most once inside the block (one answer: the index and the facts agree)."""
    token = _ANSWER_FINGERPRINT.set([])
    try:
        yield
    finally:
        _ANSWER_FINGERPRINT.reset(token)


_FACTS: dict[tuple, dict | None] = {}
_FACTS_MAX = 512
FACTS_KEY = "ayni:chat:facts:{slug}:{language}:{n}:{last}"
FACTS_SECONDS = 6 * 3600


def guide_facts(*, slug: str, request: HttpRequest | None = None) -> dict | None:
    """A guide's typed facts (the same dict the guide API returns), or None.

    Kept per (guide, language) until any guide is published or unpublished
    (``guide_fingerprint``): in this process's memory and in the shared cache, so
    that a worker process that has not answered about a guide yet reads it there
    instead of building it again (a dozen queries). The guide's own link is made
    absolute for ``request`` (or left relative).
    """
    fingerprint = guide_fingerprint()
    language = get_language() or ""
    key = (slug, language, fingerprint)
    if key not in _FACTS:
        last = fingerprint[1].isoformat() if fingerprint[1] else "-"
        shared_key = FACTS_KEY.format(slug=slug, language=language, n=fingerprint[0], last=last)
        found = cache.get(shared_key, default=KeyError)
        if found is KeyError:
            found = _facts_in(slug, language)
            cache.set(shared_key, found, timeout=FACTS_SECONDS)
        if len(_FACTS) >= _FACTS_MAX:
            _FACTS.clear()
        _FACTS[key] = found
    facts = copy.deepcopy(_FACTS[key])
    if facts is not None and request is not None and facts.get("url", "").startswith("/"):
        facts["url"] = request.build_absolute_uri(facts["url"])
    return facts


def _facts_in(slug: str, language: str) -> dict | None:
    """The facts of the guide ``slug`` (an original's) from its translation in ``language`` when it
    has one; ``slug`` stays the original's (what the conversation remembers), ``in_language`` says
    whether the facts are in ``language`` (else they are the original's, in Spanish)."""
    page = cms_selectors.guide_get(slug=slug, language=language or None)
    if page is None:
        return None
    facts = cms_selectors.guide_detail(page=page, request=None)
    facts["slug"] = slug
    facts["in_language"] = not language or page.locale.language_code == language
    return facts


def guide_titles(*, slugs: list[str]) -> dict[str, str]:
    """Titles of live guides by (original) slug, in the active language where translated (the
    options of a clarifying question)."""
    return cms_selectors.guide_titles_in(slugs=slugs, language=get_language() or "")


def guide_originals(*, slugs: list[str]) -> dict[str, str]:
    """The original guide of each slug (a translation's slug maps to its original's)."""
    return cms_selectors.guide_originals(slugs=slugs)


def menu_categories() -> list[dict]:
    """The bot's menu: every category that has live guides, in the CMS's order (``{"slug", "name"}``),
    named in the conversation's (active) language where translated; the slug is the same in all."""
    categories = cms_selectors.guide_categories_with_guides(language=get_language() or None)
    return [{"slug": c.slug, "name": c.name} for c in categories]


def guides_for_menu(*, category_slug: str) -> list[dict]:
    """The live guides of one category, for a menu option (titled in the active language where translated)."""
    slugs = [page.slug for page in cms_selectors.guide_list(category_slug=category_slug)]
    titles = cms_selectors.guide_titles_in(slugs=slugs, language=get_language() or "")
    return [{"slug": slug, "title": titles[slug]} for slug in slugs if slug in titles]


def unanswered_questions(*, days: int = 30, channel: str | None = None) -> QuerySet:
    """Questions the bot could not answer, grouped by their text, most frequent first."""
    since = timezone.now() - timedelta(days=days)
    qs = ChatExchange.objects.filter(answered=False, created_at__gte=since)
    if channel:
        qs = qs.filter(channel=channel)
    return (
        qs.values("text")
        .annotate(times=Count("id"), last_seen=Max("created_at"), rasa=Count("id", filter=Q(engine="rasa")))
        .order_by("-times", "-last_seen")
    )


def exchange_stats(*, days: int = 30) -> dict:
    since = timezone.now() - timedelta(days=days)
    qs = ChatExchange.objects.filter(created_at__gte=since)
    return qs.aggregate(
        total=Count("id"),
        unanswered=Count("id", filter=Q(answered=False)),
        fallback=Count("id", filter=Q(engine="fallback")),
    )


def whatsapp_window_open(*, wa_id: str) -> bool:
    """True while the 24-hour customer service window is open (the person wrote in the last 24 h)."""
    return WhatsAppMessage.objects.filter(wa_id=wa_id, received_at__gte=timezone.now() - WHATSAPP_WINDOW).exists()


def unanswered_question_groups(*, days: int = 30, channel: str | None = None, state: str = "pending") -> list[dict]:
    """Unanswered questions grouped by similar text (``search.selectors.similar_key``), most asked first.

    Each group: ``key``, ``text`` (its latest wording), ``times``, ``variants``, ``last_seen``,
    ``handled`` (the ``UnansweredHandled`` mark, or None when pending or asked again since).
    ``state``: "pending", "handled" or "all".
    """
    from chatbot.models import UnansweredHandled
    from search import selectors as search_selectors

    rows = list(unanswered_questions(days=days, channel=channel))
    keys = {search_selectors.similar_key(row["text"]) for row in rows}
    marks = UnansweredHandled.objects.filter(key__in=keys).select_related("handled_by", "guide")
    groups = search_selectors.group_similar(rows, handled={mark.key: mark for mark in marks})
    return search_selectors.filter_groups(groups, state=state)


def unanswered_group(*, key: str, days: int = 365) -> dict | None:
    """The group of unanswered questions with this key (any channel, handled or not), or None."""
    return next((g for g in unanswered_question_groups(days=days, state="all") if g["key"] == key), None)


# --- the bot's figures in public (issue 14, item 7) ------------------------------------
#
# Aggregates only: never a sender hash, a question or an answer. What each figure means:
#
# - conversations: distinct people (sender hashes) who wrote in the week, in any channel;
# - messages: exchanges logged (questions and button presses);
# - answered: share of messages the bot answered (``ChatExchange.answered``);
# - handed off: share of messages whose answer sent the person to the free 800 line because the
#   bot could not help: not understood (intent ``nlu_fallback``, "Disculpa, no entendí… llama gratis
#   al 800"), not a municipal procedure (``out_of_scope``) or asked for a person (``bot_challenge``);
# - by engine: share of messages understood by Rasa, by the portal's built-in understanding (used
#   when Rasa is down or slow) and read from a button (no understanding needed);
# - median response time: of ``ChatExchange.latency_ms`` (from receiving the message to its answer);
# - most asked guides: the 10 guides most answered about, omitting any guide asked about fewer than
#   ``AYNI_OPENDATA_MIN_CELL`` (5) times that week (small counts can single people out).

HANDOFF_INTENTS = ("nlu_fallback", "out_of_scope", "bot_challenge")
FIGURES_TOP_GUIDES = 10
FIGURES_WEEKS = 12
FIGURES_DATASET_SLUG = "cifras-asistente-virtual"  # the open dataset (chatbot.tasks.chat_figures_dataset)


def _week_start(day):
    return day - timedelta(days=day.weekday())


def chat_weekly_figures(*, weeks: int = FIGURES_WEEKS, first_week=None, now=None) -> list[dict]:
    """The figures of each complete ISO week (Monday to Sunday, local time), newest first.

    The last ``weeks`` complete weeks, or every complete week from the one starting on
    ``first_week`` (a Monday) when given. Weeks without messages are listed with zeros.
    Each week: ``week`` ("2026-W49"), ``start``, ``end`` (dates), ``conversations``,
    ``messages``, ``answered``, ``handed_off``, ``rasa``, ``builtin``, ``button`` (shares
    of messages, 0–1, None without messages), ``median_ms`` (None without messages) and
    ``guides``: ``[{"slug", "title", "questions"}]`` (see the notes above).
    """
    import statistics
    from datetime import datetime
    from datetime import time as dtime

    from django.conf import settings

    now = now or timezone.now()
    this_week = _week_start(timezone.localdate(now))
    first = _week_start(first_week) if first_week is not None else this_week - timedelta(weeks=weeks)
    starts = []
    day = first
    while day < this_week:
        starts.append(day)
        day += timedelta(weeks=1)
    if not starts:
        return []
    tz = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(starts[0], dtime.min), tz)
    until = timezone.make_aware(datetime.combine(this_week, dtime.min), tz)
    buckets = {
        start: {"senders": set(), "messages": 0, "answered": 0, "handed_off": 0, "engines": {}, "ms": [], "guides": {}}
        for start in starts
    }
    rows = ChatExchange.objects.filter(created_at__gte=since, created_at__lt=until).values_list(
        "created_at", "sender_hash", "engine", "intent", "answered", "guide_slug", "latency_ms"
    )
    for created_at, sender, engine, intent, answered, guide, ms in rows.iterator(chunk_size=2000):
        bucket = buckets[_week_start(timezone.localdate(created_at))]
        bucket["senders"].add(sender)
        bucket["messages"] += 1
        bucket["answered"] += bool(answered)
        bucket["handed_off"] += intent in HANDOFF_INTENTS
        bucket["engines"][engine] = bucket["engines"].get(engine, 0) + 1
        bucket["ms"].append(ms)
        if guide:
            bucket["guides"][guide] = bucket["guides"].get(guide, 0) + 1

    k = settings.AYNI_OPENDATA_MIN_CELL
    top = {
        start: sorted(((n, slug) for slug, n in b["guides"].items() if n >= k), key=lambda item: (-item[0], item[1]))[
            :FIGURES_TOP_GUIDES
        ]
        for start, b in buckets.items()
    }
    titles = cms_selectors.guide_titles(slugs={slug for items in top.values() for _n, slug in items})
    out = []
    for start in reversed(starts):
        b = buckets[start]
        n = b["messages"]

        def share(count: int, n=n):
            return round(count / n, 4) if n else None

        year, week, _day = start.isocalendar()
        out.append(
            {
                "week": f"{year}-W{week:02d}",
                "start": start,
                "end": start + timedelta(days=6),
                "conversations": len(b["senders"]),
                "messages": n,
                "answered": share(b["answered"]),
                "handed_off": share(b["handed_off"]),
                "rasa": share(b["engines"].get("rasa", 0)),
                "builtin": share(b["engines"].get("fallback", 0)),
                "button": share(b["engines"].get("button", 0)),
                "median_ms": round(statistics.median(b["ms"])) if b["ms"] else None,
                "guides": [{"slug": slug, "title": titles.get(slug, slug), "questions": q} for q, slug in top[start]],
            }
        )
    return out


FIGURES_WEEK_COLUMNS = [
    "semana",
    "desde",
    "hasta",
    "conversaciones",
    "mensajes",
    "porcentaje_respondidos",
    "porcentaje_derivados_linea_800",
    "porcentaje_rasa",
    "porcentaje_comprension_integrada",
    "porcentaje_botones",
    "mediana_respuesta_ms",
]
FIGURES_GUIDE_COLUMNS = ["semana", "posicion", "guia", "titulo", "consultas"]


def _percent(share: float | None) -> str:
    return "" if share is None else f"{share * 100:.1f}"


def chat_figures_tables(*, previous: dict[str, list[list[str]]] | None = None, now=None) -> dict:
    """The open dataset's tables: ``{"semanas": (columns, rows), "guias-mas-consultadas": (…)}``.

    Every complete week still whole in the log (older ones are purged after
    ``CHATBOT_LOG_RETENTION_DAYS``) is computed again and replaces its rows; the rows of
    older weeks are kept from ``previous`` (``{resource slug: rows}``, the latest published
    version), so running it twice for the same week changes nothing. Oldest week first.
    """
    from django.conf import settings

    now = now or timezone.now()
    oldest_whole = timezone.localdate(now - timedelta(days=settings.CHATBOT_LOG_RETENTION_DAYS)) + timedelta(days=1)
    first = _week_start(oldest_whole)
    if first < oldest_whole:
        first += timedelta(weeks=1)
    figures = list(reversed(chat_weekly_figures(first_week=first, now=now)))
    computed = {w["week"] for w in figures}
    previous = previous or {}
    weeks = [row for row in previous.get("semanas", []) if row and row[0] not in computed]
    guides = [row for row in previous.get("guias-mas-consultadas", []) if row and row[0] not in computed]
    for w in figures:
        if not w["messages"] and not any(row[0] < w["week"] for row in weeks):
            continue  # no leading empty weeks before the bot's first message
        weeks.append(
            [
                w["week"],
                w["start"].isoformat(),
                w["end"].isoformat(),
                str(w["conversations"]),
                str(w["messages"]),
                _percent(w["answered"]),
                _percent(w["handed_off"]),
                _percent(w["rasa"]),
                _percent(w["builtin"]),
                _percent(w["button"]),
                "" if w["median_ms"] is None else str(w["median_ms"]),
            ]
        )
        for position, guide in enumerate(w["guides"], start=1):
            guides.append([w["week"], str(position), guide["slug"], guide["title"], str(guide["questions"])])
    weeks.sort(key=lambda row: row[0])
    guides.sort(key=lambda row: (row[0], int(row[1]) if row[1].isdigit() else 0))
    return {
        "semanas": (FIGURES_WEEK_COLUMNS, weeks),
        "guias-mas-consultadas": (FIGURES_GUIDE_COLUMNS, guides),
    }
