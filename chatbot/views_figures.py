"""``/asistente/cifras/`` (and ``/en/…``): the bot's figures of the last 12 weeks, in public.

GOV.UK Service Standard, point 10 ("define what success looks like and publish performance
data"). Aggregates only (``chatbot.selectors.chat_weekly_figures``). The figures change once a
week: they are kept in the cache for an hour (the key changes with the week), and the page of
anonymous visitors may be cached by browsers and proxies for an hour (a signed-in
person's page, with the account links and a CSRF token, is private).
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from chatbot import selectors
from opendata import selectors as opendata_selectors

PAGE_SECONDS = 3600


def _figures() -> list[dict]:
    # Keyed by the current week and the language (guide titles are translated).
    from django.utils.translation import get_language

    year, week, _day = timezone.localdate().isocalendar()
    key = f"ayni:chat-figures:{year}-W{week:02d}:{get_language()}"
    figures = cache.get(key)
    if figures is None:
        figures = selectors.chat_weekly_figures()
        cache.set(key, figures, PAGE_SECONDS)
    return figures


@require_GET
def chat_figures(request):
    figures = _figures()
    dataset = opendata_selectors.dataset_get(slug=selectors.FIGURES_DATASET_SLUG)
    context = {
        "weeks": figures,
        "has_messages": any(week["messages"] for week in figures),
        "guide_weeks": [week for week in figures if week["guides"]],
        "dataset": dataset,
        "min_questions": settings.AYNI_OPENDATA_MIN_CELL,
    }
    response = TemplateResponse(request, "chatbot/figures.html", context)
    if request.user.is_authenticated:  # the header carries the account links and a CSRF token
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PAGE_SECONDS)
    return response
