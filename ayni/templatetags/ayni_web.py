"""Tags every public page uses: the head links (canonical URL, hreflang alternates, Open Graph locale)
and the header's sections."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import reverse, translate_url
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

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


# --- The header's sections ---------------------------------------------------------------
# (key: the first segment of the path, URL name and arguments, label). The URLs resolve in
# the active language (/en/… in English), so a visitor never leaves it from the header.
MAIN_SECTIONS = (
    ("tramites", "wagtail_serve", ("tramites/",), _("Trámites")),
    ("participa", "participation:home", (), _("Participa")),
    ("datos", "opendata:dataset_list", (), _("Datos")),
    ("normativa", "wagtail_serve", ("normativa/",), _("Normativa")),
    ("transparencia", "wagtail_serve", ("transparencia/",), _("Transparencia")),
    ("noticias", "wagtail_serve", ("noticias/",), _("Noticias")),
)


def current_section(path: str, language: str | None = None) -> tuple[str, bool]:
    """The header section ``path`` is in ("" for none) and whether it is that section's own page."""
    language = language or get_language() or settings.LANGUAGE_CODE
    prefix = f"/{language}/"
    if language != settings.LANGUAGE_CODE and path.startswith(prefix):
        path = path[len(prefix) - 1 :]
    parts = [part for part in path.split("/") if part]
    keys = {key for key, *_rest in MAIN_SECTIONS}
    if not parts or parts[0] not in keys:
        return "", False
    return parts[0], len(parts) == 1


@register.simple_tag(takes_context=True)
def main_navigation(context) -> dict:
    """The header's links, the current one marked: ``aria-current="page"`` on the section's own
    page, ``"true"`` inside it. ``key`` and ``exact`` key the cached header fragment."""
    request = context.get("request")
    key, exact = current_section(request.path if request is not None else "")
    items = []
    for section, name, args, label in MAIN_SECTIONS:
        current = ("page" if exact else "true") if section == key else ""
        items.append({"key": section, "url": reverse(name, args=args), "label": label, "current": current})
    return {"items": items, "key": key, "exact": exact}


LANGUAGE_NAMES = {"es": "Español", "en": "English"}


def _translated_page_url(page, code: str, request) -> str | None:
    """The URL of ``page``'s live translation into ``code``, or of its nearest ancestor that has one (one query)."""
    from wagtail.models import Page

    keys = page.get_ancestors(inclusive=True).filter(depth__gt=1).values("translation_key")
    found = (
        Page.objects.live()
        .filter(translation_key__in=keys, locale__language_code=code)
        .order_by("-depth")
        .only("url_path", "translation_key", "locale", "depth")
        .first()
    )
    return found.get_url(request=request) if found is not None else None


@register.simple_tag(takes_context=True)
def language_switch(context) -> list[dict]:
    """The header's language links: the same page in each interface language. A Wagtail page
    links to its translation (its own slug), or, untranslated, to its nearest translated
    ancestor (the guides list, the home page); other views keep their path and query
    ("/buscar/?q=x" ↔ "/en/buscar/?q=x"), or go to that language's home page when the path
    has no counterpart."""
    request = context.get("request")
    page = context.get("page")
    current = get_language() or settings.LANGUAGE_CODE
    path = request.get_full_path() if request is not None else "/"
    is_page = page is not None and getattr(page, "pk", None) and hasattr(page, "translation_key")
    links = []
    for code in settings.INTERFACE_LANGUAGES:
        if code not in LANGUAGE_NAMES:
            continue
        url = _translated_page_url(page, code, request) if is_page and code != current else None
        if url is None:
            url = translate_url(path, code)
            if url == path and code != current:  # no counterpart in that language
                url = "/" if code == settings.LANGUAGE_CODE else f"/{code}/"
        links.append({"code": code, "name": LANGUAGE_NAMES[code], "url": url, "current": code == current})
    return links
