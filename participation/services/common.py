from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ayni.ratelimit import hit


def rate_limit(*, scope: str, client: str) -> None:
    """Count one submission of ``client`` in ``scope`` (raises RateLimited)."""
    if not client:
        return
    limit, window = settings.AYNI_PARTICIPATION_RATES[scope]
    hit(scope=f"participation:{scope}", key=client, limit=limit, window=window)


def require_length(field: str, value: str, *, maximum: int, minimum: int = 1, label: str = "") -> None:
    if len(value) < minimum:
        raise ValidationError({field: _("Este campo es obligatorio.")})
    if len(value) > maximum:
        raise ValidationError({field: _("Este campo no puede superar los %(max)d caracteres.") % {"max": maximum}})
