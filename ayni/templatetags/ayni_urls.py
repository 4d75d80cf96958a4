"""Stored external links, checked again where they are shown.

``{{ value|http_url }}``: the URL, or "" when it is not http(s).
``{{ page.body|richtext|safe_links }}``: rich text without ``javascript:``/``data:`` … links.
"""

from django import template
from django.utils.safestring import SafeData, mark_safe

from ayni.validators import safe_http_url, without_unsafe_links

register = template.Library()


@register.filter
def http_url(value) -> str:
    return safe_http_url(value)


@register.filter(is_safe=True)
def safe_links(value):
    cleaned = without_unsafe_links(value)
    return mark_safe(cleaned) if isinstance(value, SafeData) else cleaned  # noqa: S308 (only removes attributes)
