"""Requests the portal refuses before any view sees them."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RejectNulMiddleware:
    """A NUL character in the path, the query string or a form field is a 400.

    No page or API needs one, and PostgreSQL text columns cannot hold it (a
    search, a filter or a form saving it would end in a 500). The answer is a
    short Spanish text, or JSON under ``/api/``. JSON bodies are not read here:
    the services that store their text strip NUL themselves.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if _has_nul(request):
            message = _("La solicitud contiene un carácter no permitido (NUL). Revisa lo que escribiste.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or "\x00" in request.path_info:
        return True
    if _nul_in(request.GET):
        return True
    if request.method == "POST" and request.content_type in FORM_TYPES:
        if request.content_type == "multipart/form-data" and request.path.startswith("/api/"):
            # Parsing a multipart body here would leave the API unable to read it
            # (RawPostDataException); its services strip NUL from what they store.
            return False
        return _nul_in(request.POST)
    return False


def _nul_in(data) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())
