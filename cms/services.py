"""Writes of the content app."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ayni.counters import cache_increment
from cms.models import GuideFeedback, GuidePage

FEEDBACK_COMMENT_MAX = 1000


class RateLimited(Exception):
    """The client sent too many requests in the current window."""


def client_fingerprint(*, remote_addr: str, user_agent: str = "") -> str:
    """A one-way key for rate limiting; the address itself is never stored."""
    raw = f"{settings.SECRET_KEY}|{remote_addr}|{user_agent[:200]}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def rate_limit_hit(*, scope: str, client: str, limit: int, window: int) -> None:
    """Count one request of ``client`` in ``scope``; raise RateLimited over ``limit``."""
    if cache_increment(f"ayni:rl:{scope}:{client}", timeout=window) > limit:
        raise RateLimited(scope)


@transaction.atomic
def feedback_submit(*, page: GuidePage, helpful: bool, comment: str, client: str) -> GuideFeedback:
    comment = (comment or "").strip()
    if len(comment) > FEEDBACK_COMMENT_MAX:
        raise ValidationError(
            {"comment": _("El comentario no puede superar los %(max)d caracteres.") % {"max": FEEDBACK_COMMENT_MAX}}
        )
    if not page.live:
        raise ValidationError(_("Esta guía no está publicada."))
    rate_limit_hit(
        scope="feedback",
        client=client,
        limit=settings.AYNI_FEEDBACK_RATE,
        window=settings.AYNI_FEEDBACK_WINDOW_SECONDS,
    )
    return GuideFeedback.objects.create(page=page, helpful=helpful, comment=comment)
