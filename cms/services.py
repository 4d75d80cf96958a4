"""Writes of the content app."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ayni.ratelimit import RateLimited, hit
from cms.models import GuideFeedback, GuidePage

FEEDBACK_COMMENT_MAX = 1000

__all__ = ["RateLimited", "feedback_submit", "rate_limit_hit"]


def rate_limit_hit(*, scope: str, client: str, limit: int, window: int) -> None:
    """Count one request of ``client`` (a key from ayni.clients) in ``scope``; raise RateLimited over ``limit``."""
    hit(scope=scope, key=client, limit=limit, window=window)


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
