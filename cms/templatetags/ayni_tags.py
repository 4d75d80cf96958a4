import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import translate_url
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, override

from cms.cache import request_content_generation

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def jsonld(data) -> str:
    """Embed ``data`` as a JSON-LD script, escaped so it cannot close the tag."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_ESCAPES)
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308


@register.filter
def bs(amount) -> str:
    """Format an amount in bolivianos the Bolivian way: ``Bs 1.250,50``."""
    if amount is None:
        return ""
    whole, _, cents = f"{amount:,.2f}".partition(".")
    whole = whole.replace(",", ".")
    return f"Bs {whole}" if cents == "00" else f"Bs {whole},{cents}"


@register.simple_tag(takes_context=True)
def page_address(context, page) -> str:
    """The page's full address as the visitor reads it: on the host of this request (not the Site
    record's, which may say localhost) and in the interface language of this request (a Spanish
    guide read under /en/ prints its /en/ address)."""
    from ayni.web import page_absolute_url

    request = context.get("request")
    if request is None:
        return page.full_url
    url = page_absolute_url(page, request)
    language = get_language()
    if language != page.locale.language_code and language in settings.INTERFACE_LANGUAGES:
        with override(page.locale.language_code):  # the address resolves in the page's language
            url = translate_url(url, language)
    return url


@register.simple_tag(takes_context=True)
def content_generation(context) -> int:
    """The content generation of this request (``cms.cache``), to key ``{% cache %}`` fragments by.

    Every publish bumps it, so a publish purges the fragments as it purges the page cache.
    """
    return request_content_generation(context.get("request"))


@register.simple_tag
def error_page_phone() -> str:
    """The 800 line for the server-error page: from the cached portal settings, else the environment's.

    Never reads the database, which may be what failed.
    """
    from cms.selectors import site_contact_cached

    contact = site_contact_cached()
    return contact.phone if contact is not None else settings.AYNI_MUNICIPALITY_PHONE
