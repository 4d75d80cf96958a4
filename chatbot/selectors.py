"""Reads of the chatbot app: guides as the bot sees them, the log, WhatsApp state."""

from __future__ import annotations

import copy
from datetime import timedelta

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


def guide_fingerprint() -> tuple:
    """Changes whenever a guide is published, unpublished, added or removed."""
    from cms.models import GuidePage

    live = GuidePage.objects.live()
    stats = live.aggregate(n=Count("pk"), last=Max("last_published_at"))
    return (stats["n"], stats["last"])


_FACTS: dict[tuple, dict | None] = {}
_FACTS_MAX = 512


def guide_facts(*, slug: str, request: HttpRequest | None = None) -> dict | None:
    """A guide's typed facts (the same dict the guide API returns), or None.

    Kept in memory per (guide, language) until any guide is published or
    unpublished (``guide_fingerprint``), so an answer costs one query, not a dozen;
    the guide's own link is made absolute for ``request`` (or left relative).
    """
    key = (slug, get_language(), guide_fingerprint())
    if key not in _FACTS:
        page = cms_selectors.guide_get(slug=slug)
        if len(_FACTS) >= _FACTS_MAX:
            _FACTS.clear()
        _FACTS[key] = cms_selectors.guide_detail(page=page, request=None) if page is not None else None
    facts = copy.deepcopy(_FACTS[key])
    if facts is not None and request is not None and facts.get("url", "").startswith("/"):
        facts["url"] = request.build_absolute_uri(facts["url"])
    return facts


def guide_titles(*, slugs: list[str]) -> dict[str, str]:
    """Titles of live guides by slug (the options of a clarifying question)."""
    return cms_selectors.guide_titles(slugs=slugs)


def menu_categories() -> list[dict]:
    """The bot's menu: every category that has live guides, in the CMS's order (``{"slug", "name"}``)."""
    return [{"slug": c.slug, "name": c.name} for c in cms_selectors.guide_categories_with_guides()]


def guides_for_menu(*, category_slug: str) -> list[dict]:
    """The live guides of one category, for a menu option."""
    return [{"slug": page.slug, "title": page.title} for page in cms_selectors.guide_list(category_slug=category_slug)]


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
