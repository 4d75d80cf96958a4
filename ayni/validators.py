"""URLs that come from outside (harvested portals, editors) may only be http(s).

``javascript:``, ``data:``, ``vbscript:``, ``file:`` … in an ``<a href>`` run or
leak something in the reader's browser, so they are refused where a URL is
stored and blanked where one is shown.
"""

from __future__ import annotations

import html
import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

HTTP_SCHEMES = ("http", "https")

# Browsers ignore ASCII control characters and whitespace inside a scheme
# ("java\tscript:"), so they are removed before the scheme is read.
_IGNORED = re.compile(r"[\x00-\x20\x7f-\xa0\u200b-\u200f\u2028\u2029\ufeff`]+")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")

_url_validator = URLValidator(schemes=list(HTTP_SCHEMES))


def url_scheme(value: str) -> str:
    """The scheme a browser would see in ``value`` (lower case), or "" for a relative URL."""
    match = _SCHEME.match(_IGNORED.sub("", str(value or "")))
    return match.group(1).lower() if match else ""


@deconstructible
class HttpUrlValidator:
    """An absolute http:// or https:// URL, and nothing else."""

    message = _("Solo se aceptan enlaces que empiezan con http:// o https://.")
    code = "invalid_url_scheme"

    def __call__(self, value) -> None:
        text = str(value or "")
        if not text:
            return
        if url_scheme(text) not in HTTP_SCHEMES or text != text.strip() or _IGNORED.search(text):
            raise ValidationError(self.message, code=self.code)
        try:
            _url_validator(text)
        except ValidationError as exc:
            raise ValidationError(self.message, code=self.code) from exc

    def __eq__(self, other) -> bool:
        return isinstance(other, HttpUrlValidator)

    def __hash__(self) -> int:
        return hash(self.code)


validate_http_url = HttpUrlValidator()


def safe_http_url(value) -> str:
    """``value`` if it is a valid absolute http(s) URL, otherwise ""."""
    try:
        validate_http_url(value)
    except ValidationError:
        return ""
    return str(value or "")


# Links in rich text may also be relative, anchors, e-mail or phone links (the
# editor's link types); never a script or data URL.
RICH_TEXT_LINK_SCHEMES = (*HTTP_SCHEMES, "mailto", "tel")
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)


def unsafe_links(markup: str) -> list[str]:
    """The ``href`` values of ``markup`` whose scheme is not one of RICH_TEXT_LINK_SCHEMES."""
    found = []
    for match in _HREF.finditer(str(markup or "")):
        href = html.unescape(next(group for group in match.groups() if group is not None))
        scheme = url_scheme(href)
        if scheme and scheme not in RICH_TEXT_LINK_SCHEMES:
            found.append(href)
    return found


def without_unsafe_links(markup: str) -> str:
    """``markup`` with the ``href`` of every link whose scheme is not allowed removed."""

    def replace(match: re.Match) -> str:
        href = html.unescape(next(group for group in match.groups() if group is not None))
        scheme = url_scheme(href)
        return "" if scheme and scheme not in RICH_TEXT_LINK_SCHEMES else match.group(0)

    return _HREF.sub(replace, str(markup or ""))


@deconstructible
class SafeRichTextLinksValidator:
    """Rich text (Wagtail's stored HTML) without ``javascript:``/``data:`` … links."""

    message = _("El texto tiene un enlace no permitido (%(href)s): usa enlaces http://, https:// o de correo.")
    code = "invalid_link_scheme"

    def __call__(self, value) -> None:
        bad = unsafe_links(str(value or ""))
        if bad:
            raise ValidationError(self.message, code=self.code, params={"href": bad[0][:60]})

    def __eq__(self, other) -> bool:
        return isinstance(other, SafeRichTextLinksValidator)

    def __hash__(self) -> int:
        return hash(self.code)


validate_rich_text_links = SafeRichTextLinksValidator()
