from django.template.response import TemplateResponse

from search.selectors import clean_query, search_pages


def search(request):
    query = clean_query(request.GET.get("q"))
    results = search_pages(query=query, page_number=request.GET.get("pagina"))
    return TemplateResponse(request, "search/search.html", {"query": query, "results": results})
