"""Head tags every public page carries: canonical URL, hreflang alternates, Open Graph locale."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language

from ayni.web import page_absolute_url

register = template.Library()

OG_LOCALES = {"es": "es_BO", "en": "en_US", "ay": "ay_BO", "qu": "qu_BO"}


def _page_links(page, request) -> tuple[str, list[tuple[str, str]]]:
    canonical = page_absolute_url(page, request)
    translations = page.get_translations(inclusive=True).live().public().select_related("locale")
    alternates = sorted((t.locale.language_code, page_absolute_url(t, request)) for t in translations)
    return canonical, alternates


def _view_links(request) -> tuple[str, list[tuple[str, str]]]:
    canonical = request.build_absolute_uri(request.path)
    alternates = []
    for code in settings.INTERFACE_LANGUAGES:
        alternates.append((code, request.build_absolute_uri(translate_url(request.path, code))))
    return canonical, alternates


@register.inclusion_tag("includes/head_links.html", takes_context=True)
def head_links(context):
    """<link rel="canonical">, <link rel="alternate" hreflang> and og:url/og:locale for this page.

    A Wagtail page links to its live translations (another language's page, not
    the same Spanish content under /en/), itself included even when it has none
    yet; other views exist in every interface language at the translated URL.
    Addresses are on the host the visitor asked for, like the page's JSON-LD
    (Wagtail's Site record may still say "localhost").
    """
    request = context.get("request")
    if request is None:
        return {}
    page = context.get("page")
    language = get_language() or settings.LANGUAGE_CODE
    if page is not None and getattr(page, "pk", None) and hasattr(page, "get_translations"):
        canonical, alternates = _page_links(page, request)
        language = page.locale.language_code  # the content's language, whatever the interface
    else:
        canonical, alternates = _view_links(request)
    codes = dict(alternates)
    default = codes.get(settings.LANGUAGE_CODE)
    return {
        "canonical": canonical,
        "alternates": alternates,
        "x_default": default,
        "og_locale": OG_LOCALES.get(language, language),
        "og_alternate_locales": [OG_LOCALES.get(code, code) for code in codes if code != language],
    }
