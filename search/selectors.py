"""Reads for the portal's search (issue 3 extends the ranking and the types)."""

from django.core.paginator import Paginator
from wagtail.models import Page

MAX_QUERY_LENGTH = 200


def clean_query(raw: str | None) -> str:
    return " ".join((raw or "").split())[:MAX_QUERY_LENGTH]


def search_pages(*, query: str, page_number: str | int | None = 1, per_page: int = 10):
    results = Page.objects.live().public().specific().search(query) if query else Page.objects.none()
    return Paginator(results, per_page).get_page(page_number)
