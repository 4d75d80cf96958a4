"""The project's own JSON API (django-ninja); OpenAPI at /api/schema/.

Each app contributes a router from its ``api.py``.
"""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import ValidationError as NinjaValidationError

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


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": "No encontrado."}, status=404)


@api.exception_handler(NinjaValidationError)
def invalid(request, exc):
    return api.create_response(request, {"detail": "Datos no válidos.", "errors": exc.errors}, status=422)


api.add_router("/guides/", cms_router, tags=["guías"])
api.add_router("/complaints/", complaints_router, tags=["reclamos y denuncias"])
api.add_router("/proposals/", proposals_router, tags=["propuestas"])
api.add_router("/chat/", chatbot_router, tags=["asistente"])
api.add_router("/search/", search_router, tags=["búsqueda"])
