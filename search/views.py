from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from search import registry, selectors, services

PER_PAGE = 10


def search(request):
    """``/buscar/?q=&tipo=&page=``: one search over guides, regulations, reports, news and more."""
    query = selectors.clean_query(request.GET.get("q"))
    status, error = 200, None
    try:
        type_name = selectors.validate_type(request.GET.get("tipo"))
    except selectors.UnknownType:
        type_name = None
        status = 400
        error = _("No existe ese tipo de resultado. Elige uno de la lista o busca en todo el portal.")
    outcome = selectors.search(query=query, type_name=type_name)
    if error:
        outcome.hits = []
    results = Paginator(outcome.hits, PER_PAGE).get_page(request.GET.get("page"))
    if query and not error and results.number == 1:
        services.search_query_record(query=query, result_count=outcome.total)
    context = {
        "query": query,
        "outcome": outcome,
        "results": results,
        "error": error,
        "selected_type": type_name or "",
        "selected_label": registry.type_label(type_name) if type_name else "",
        "alternatives": selectors.suggest(prefix=query.split()[0]) if query and not outcome.total and not error else [],
    }
    return TemplateResponse(request, "search/search.html", context, status=status)
