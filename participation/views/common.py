from __future__ import annotations

from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from ayni.clients import client_key


def client_of(request) -> str:
    """One-way key of the client for rate limits (the address is never stored)."""
    return client_key(request)


def too_many(request, message: str | None = None) -> TemplateResponse:
    return TemplateResponse(
        request,
        "participation/message.html",
        {
            "title": _("Demasiados intentos"),
            "message": message or _("Recibimos demasiados envíos desde tu conexión. Intenta de nuevo más tarde."),
        },
        status=429,
    )


def denied(request, message: str) -> TemplateResponse:
    return TemplateResponse(
        request, "participation/message.html", {"title": _("No está permitido"), "message": message}, status=403
    )


def base_url(request) -> str:
    return request.build_absolute_uri("/")
