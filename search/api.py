"""``/api/search/``: the portal's unified search as JSON, and title suggestions."""

import math

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from ayni.api_errors import errors
from search import registry, selectors, services

router = Router()
PER_PAGE = 10

# The values ``type`` accepts ("" is every type), as an enum in the OpenAPI document;
# others answer 400 with the list. The API is imported after every app's
# ``search_types`` module has registered its types.
TYPE_VALUES = ["", *registry.type_names()]


class ResultOut(Schema):
    type: str
    title: str
    url: str
    slug: str
    snippet: str
    score: float


class FacetOut(Schema):
    type: str
    label: str
    count: int


class PromotionOut(Schema):
    title: str
    url: str
    description: str


class SearchOut(Schema):
    query: str
    interpreted_as: str | None
    type: str | None
    page: int
    pages: int
    total: int
    popular: bool
    facets: list[FacetOut]
    promotions: list[PromotionOut]
    results: list[ResultOut]


class SuggestionOut(Schema):
    title: str
    url: str
    type: str
    type_label: str


class SuggestOut(Schema):
    query: str
    suggestions: list[SuggestionOut]


class SearchParams(Schema):
    q: str = ""
    type: str = Field("", description="Tipo de resultado; vacío: todos.", json_schema_extra={"enum": TYPE_VALUES})
    page: int = Field(1, description="Página de resultados, desde 1.", json_schema_extra={"minimum": 1})


def _absolute(request: HttpRequest, url: str) -> str:
    return request.build_absolute_uri(url) if url.startswith("/") else url


@router.get(
    "",
    response={200: SearchOut, **errors(400, 404, 422)},
    summary="Búsqueda en todo el portal",
    description=(
        "Busca en guías de trámites, normativa, transparencia, noticias, propuestas y datos abiertos. "
        "Tolera tildes, mayúsculas, plurales y errores de una o dos letras. `type` filtra por tipo "
        "(las facetas cuentan todos los tipos); sin `q` devuelve las guías más visitadas. "
        "`snippet` es HTML seguro: el texto va escapado y los términos encontrados van en `<mark>`. "
        "Una página más allá de la última responde 404."
    ),
)
def search_index(request, params: Query[SearchParams]):
    q, type_name, page = params.q, params.type, params.page
    query = selectors.clean_query(q)
    try:
        if type_name not in TYPE_VALUES:
            raise selectors.UnknownType(type_name)
        selected = selectors.validate_type(type_name)
    except selectors.UnknownType:
        valid = ", ".join(registry.type_names())
        return Status(400, {"detail": f"Tipo de resultado desconocido. Tipos válidos: {valid}."})
    if page < 1:
        return Status(400, {"detail": "La página debe ser 1 o mayor."})
    outcome = selectors.search(query=query, type_name=selected)
    pages = max(1, math.ceil(outcome.total / PER_PAGE))
    if page > pages:
        return Status(404, {"detail": f"Página fuera de rango: hay {pages}."})
    if query and page == 1:
        services.search_query_record(query=query, result_count=outcome.total)
    hits = outcome.hits[(page - 1) * PER_PAGE : page * PER_PAGE]
    return {
        "query": query,
        "interpreted_as": outcome.interpreted_as,
        "type": selected,
        "page": page,
        "pages": pages,
        "total": outcome.total,
        "popular": outcome.popular,
        "facets": [{"type": f.type, "label": f.label, "count": f.count} for f in outcome.facets],
        "promotions": [
            {"title": p.title, "url": _absolute(request, p.url), "description": p.description}
            for p in outcome.promotions
        ],
        "results": [
            {
                "type": hit.type,
                "title": hit.title,
                "url": _absolute(request, hit.url),
                "slug": hit.slug,
                "snippet": str(hit.snippet),
                "score": hit.score,
            }
            for hit in hits
        ],
    }


@router.get(
    "suggest/", response={200: SuggestOut, **errors(400, 422)}, summary="Sugerencias de títulos para el buscador"
)
def search_suggest(request, q: str = ""):
    """Up to 8 titles whose words start with what was typed (accent-insensitive)."""
    query = selectors.clean_query(q)
    suggestions = selectors.suggest(prefix=query)
    for suggestion in suggestions:
        suggestion["url"] = _absolute(request, suggestion["url"])
    return {"query": query, "suggestions": suggestions}
