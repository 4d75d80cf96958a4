"""The project's own JSON API (django-ninja); OpenAPI at /api/schema/.

Each app contributes a router from its ``api.py``. Every error is JSON,
``{"detail": "<mensaje>"}`` (422 adds ``errors``), with a Spanish message; each
operation declares in its ``response={...}`` every status it can answer
(see :mod:`ayni.api_errors`).
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from ayni.api_errors import status_message, validation_errors
from ayni.ratelimit import RateLimited
from chatbot.api import router as chatbot_router
from cms.api import router as cms_router
from participation.api import complaints_router, proposals_router
from search.api import router as search_router

api = NinjaAPI(
    title="Ayni API",
    version="1.0",
    description="API del portal municipal: guías de trámites, participación, datos abiertos y chatbot.",
    openapi_url="/schema/",
    docs_url="/docs/",
    urls_namespace="api",
)


def _detail(request, status: int, detail: str | None = None, **extra):
    return api.create_response(request, {"detail": detail or status_message(status), **extra}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _detail(request, 404)


@api.exception_handler(NinjaValidationError)
def invalid(request, exc):
    return _detail(request, 422, str(_("Datos no válidos.")), errors=validation_errors(exc.errors))


@api.exception_handler(HttpError)
def http_error(request, exc):
    # Ninja's own messages are English ("Unauthorized", "Cannot parse request body"…).
    if isinstance(exc, AuthenticationError | AuthorizationError | Throttled):
        return _detail(request, exc.status_code)
    if exc.status_code == 400:
        return _detail(request, 400, str(_("No se pudo leer el cuerpo de la solicitud: revisa que sea JSON válido.")))
    return _detail(request, exc.status_code)


@api.exception_handler(RateLimited)
def rate_limited(request, exc):
    return _detail(request, 429)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc):
    return _detail(request, 403)


@api.exception_handler(DjangoValidationError)
def django_invalid(request, exc):
    if hasattr(exc, "error_dict"):
        return _detail(request, 400, str(_("Datos no válidos.")), errors=exc.message_dict)
    return _detail(request, 400, " ".join(exc.messages))


api.add_router("/guides/", cms_router, tags=["guías"])
api.add_router("/complaints/", complaints_router, tags=["reclamos y denuncias"])
api.add_router("/proposals/", proposals_router, tags=["propuestas"])
api.add_router("/chat/", chatbot_router, tags=["asistente"])
api.add_router("/search/", search_router, tags=["búsqueda"])
