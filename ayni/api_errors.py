"""Error answers of the JSON API under ``/api/``: one JSON shape, Spanish messages.

- ``ErrorOut`` (``{"detail": "..."}``) and ``ValidationErrorOut`` (``{"detail": "...",
  "errors": [{"loc": [...], "msg": "...", "type": "..."}]}``) are the schemas each
  operation declares with :func:`errors`, so the OpenAPI document states every status.
- :func:`validation_errors` turns pydantic's errors into that list with Spanish messages.
- :class:`ApiJsonErrorsMiddleware` makes the answers Django gives before or around
  the API (an unknown path's 404, a 405, a 400 for a bad Host or a too large body, a
  500) JSON under ``/api/`` too.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from ninja import Schema

API_PREFIX = "/api/"


class ErrorOut(Schema):
    detail: str


class FieldErrorOut(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut]


def errors(*codes: int) -> dict[int, type[Schema]]:
    """Error responses for an operation's ``response={...}``: 422 is a validation error."""
    return {code: (ValidationErrorOut if code == 422 else ErrorOut) for code in codes}


def status_message(status: int) -> str:
    """A short Spanish message for an error status."""
    messages = {
        400: _("La solicitud no es válida."),
        401: _("Necesitas iniciar sesión con una cuenta autorizada."),
        403: _("No tienes permiso para esta operación."),
        404: _("No encontrado."),
        405: _("Método no permitido para esta dirección."),
        409: _("La solicitud entra en conflicto con el estado actual."),
        413: _("La solicitud es demasiado grande."),
        415: _("Tipo de contenido no admitido."),
        422: _("Datos no válidos."),
        429: _("Demasiadas solicitudes desde tu conexión. Intenta de nuevo más tarde."),
    }
    if status in messages:
        return str(messages[status])
    if status >= 500:
        return str(_("Error interno del servidor. Intenta de nuevo más tarde."))
    return str(_("La solicitud no se pudo atender."))


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    known = {
        "missing": _("Este dato es obligatorio."),
        "int_parsing": _("Debe ser un número entero."),
        "int_type": _("Debe ser un número entero."),
        "int_from_float": _("Debe ser un número entero."),
        "float_parsing": _("Debe ser un número."),
        "bool_parsing": _("Debe ser verdadero o falso (true/false)."),
        "bool_type": _("Debe ser verdadero o falso (true/false)."),
        "string_type": _("Debe ser un texto."),
        "list_type": _("Debe ser una lista."),
        "dict_type": _("Debe ser un objeto JSON."),
        "model_attributes_type": _("Debe ser un objeto JSON."),
        "json_invalid": _("No es JSON válido."),
        "enum": _("Valor no permitido."),
        "literal_error": _("Valor no permitido."),
        "string_pattern_mismatch": _("No tiene el formato esperado."),
        "extra_forbidden": _("Dato no esperado."),
        "value_error": _("Valor no válido."),
    }
    if kind in ("greater_than_equal", "greater_than"):
        return _("Debe ser mayor o igual que %(n)s.") % {"n": ctx.get("ge", ctx.get("gt"))}
    if kind in ("less_than_equal", "less_than"):
        return _("Debe ser menor o igual que %(n)s.") % {"n": ctx.get("le", ctx.get("lt"))}
    if kind == "string_too_long":
        return _("Debe tener como máximo %(n)s caracteres.") % {"n": ctx.get("max_length")}
    if kind == "string_too_short":
        return _("Debe tener al menos %(n)s caracteres.") % {"n": ctx.get("min_length")}
    if kind in ("too_long", "too_short"):
        return _("La cantidad de elementos no es válida.")
    return str(known.get(kind, _("Valor no válido.")))


def validation_errors(raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{"loc", "msg", "type"}`` with Spanish messages (no input echoed back)."""
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error.get("loc", ())],
            "msg": _message(error),
            "type": str(error.get("type", "value_error")),
        }
        for error in raw
    ]


class ApiJsonErrorsMiddleware:
    """Every error answer under ``/api/`` is JSON, whoever produced it.

    Django's 404 page (a path no route matches), the API's bare 405, the 400 of a
    rejected Host or an unreadable body and the 500 page are HTML or plain text;
    under ``/api/`` they become ``{"detail": "<mensaje>"}`` with the same status and
    headers (``Allow``, ``Retry-After``…). JSON answers pass untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        if getattr(response, "streaming", False):
            return response
        replacement = JsonResponse({"detail": status_message(response.status_code)}, status=response.status_code)
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                replacement[header] = value
        replacement.cookies = response.cookies
        return replacement
