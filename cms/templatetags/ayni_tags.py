import json

from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.safestring import mark_safe

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
def content_generation(context) -> int:
    """The content generation of this request (``cms.cache``), to key ``{% cache %}`` fragments by.

    Every publish bumps it, so a publish purges the fragments as it purges the page cache.
    """
    return request_content_generation(context.get("request"))
