"""A search costs a small, fixed number of queries, whatever the number of types or results.

Runs on the suite's database (SQLite by default, PostgreSQL with DATABASE_URL):
one query for the candidates of every type with their documents (snippets
included), and one for the editors' picks only when something is promoted for
those words (the promoted query strings come from the cache); the vocabulary
correction comes from the cache, and the query log goes to the cache, not the database.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from search import selectors, services
from search.models import ZeroResultQuery

pytestmark = pytest.mark.django_db

SEARCH_QUERIES = 1  # ranking (all types, documents, snippets); + 1 for the editors' picks when promoted


def _writes(sql: list[str]) -> list[str]:
    return [statement for statement in sql if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def _queries(function) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        function()
    return [query["sql"] for query in captured.captured_queries]


@pytest.mark.parametrize("query", ["licencia de funcionamiento", "lisencia funcionamiento", "ley municipal 217"])
def test_a_search_is_one_query_once_the_vocabulary_is_cached(query):
    selectors.search(query=query)  # fills the cache of the vocabulary correction
    outcome = None

    def run():
        nonlocal outcome
        outcome = selectors.search(query=query)
        for hit in outcome.hits:
            str(hit.snippet)  # snippets come with the ranking query

    sql = _queries(run)
    assert outcome.hits
    assert len({hit.type for hit in selectors.search(query="licencia").hits}) >= 2  # several types, still one query
    assert len(sql) == SEARCH_QUERIES, "\n".join(sql)
    assert not _writes(sql), "\n".join(_writes(sql))


def test_a_promoted_query_adds_the_picks_query_and_a_new_pick_shows_at_once():
    from wagtail.contrib.search_promotions.models import Query, SearchPromotion

    query = "licencia de funcionamiento"
    selectors.search(query=query)  # vocabulary and the (empty) promoted set cached
    SearchPromotion.objects.create(
        query=Query.get(query), external_link_url="https://example.bo/ventanilla", external_link_text="Ventanilla"
    )
    outcome = None

    def run():
        nonlocal outcome
        outcome = selectors.search(query=query)

    sql = _queries(run)
    assert [p.title for p in outcome.promotions] == ["Ventanilla"]  # the saved pick dropped the cached set
    assert len(sql) <= SEARCH_QUERIES + 2, "\n".join(sql)  # + the promoted set, once, and the picks
    assert len(_queries(run)) == SEARCH_QUERIES + 1
    SearchPromotion.objects.all().delete()
    assert selectors.search(query=query).promotions == []
    assert len(_queries(run)) == SEARCH_QUERIES


def test_the_first_search_of_new_words_adds_only_the_vocabulary_lookups():
    sql = _queries(lambda: selectors.search(query="certificado catastal"))
    assert len(sql) <= SEARCH_QUERIES + 7, "\n".join(sql)  # vocabulary, trigrams (PostgreSQL), count


def test_the_chatbot_signal_is_one_query(django_assert_max_num_queries):
    selectors.search(query="licencia funcionamiento", type_name="guide", only=True)
    with django_assert_max_num_queries(1):
        outcome = selectors.search(query="licencia funcionamiento", type_name="guide", only=True)
    assert outcome.hits and {hit.type for hit in outcome.hits} == {"guide"}


def test_the_search_page_writes_nothing_per_search(client, settings):
    settings.AYNI_SEARCH_QUERY_FLUSH_EVERY = 5
    for query in ("karaoke nocturno", "licencia", "karaoke"):  # warm the caches (not logged)
        selectors.search(query=query)
        selectors.suggest(prefix=query)
    client.get("/")  # the header's logo rendition is made once, on the first page that shows it

    def four_searches():
        for _ in range(3):
            client.get("/buscar/", {"q": "karaoke nocturno"})
        client.get("/api/search/", {"q": "licencia"})

    sql = _queries(four_searches)
    assert not _writes(sql), "\n".join(_writes(sql))
    assert not ZeroResultQuery.objects.exists()  # still in the cache
    client.get("/api/search/", {"q": "karaoke nocturno"})  # the fifth search hands the batch to the worker
    assert ZeroResultQuery.objects.get(query="karaoke nocturno").count == 4


def test_the_periodic_flush_writes_a_batch_that_is_not_full(settings):
    from wagtail.contrib.search_promotions.models import Query

    settings.AYNI_SEARCH_QUERY_FLUSH_EVERY = 50
    services.search_query_record(query="Karaoke nocturno", result_count=0)
    services.search_query_record(query="licencia", result_count=4)
    services.search_query_record(query="karaoke  NOCTURNO", result_count=0)
    assert not ZeroResultQuery.objects.exists()
    assert services.search_query_log_flush() == 3
    entry = ZeroResultQuery.objects.get(query="karaoke nocturno")
    assert entry.count == 2 and entry.example == "karaoke NOCTURNO"
    assert Query.objects.get(query_string="licencia").hits == 1
    assert services.search_query_log_flush() == 0  # nothing twice
    services.search_query_record(query="karaoke nocturno", result_count=0)
    assert services.search_query_log_flush() == 1
    assert ZeroResultQuery.objects.get(query="karaoke nocturno").count == 3


def test_the_flush_job_is_registered():
    from ayni import schedule

    assert "search.query_log_flush" in {job.name for job in schedule.jobs()}


def test_the_one_query_still_leaves_out_private_and_unpublished_pages():
    """The visibility check runs per candidate inside the ranking query (a LATERAL on PostgreSQL):
    a page behind a view restriction, or unpublished behind the index's back, is not found."""
    from wagtail.models import Page, PageViewRestriction

    query = "licencia de funcionamiento"
    first = selectors.search(query=query).hits[0]
    assert first.type == "guide"
    page = Page.objects.get(pk=first.object_id)
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    assert first.object_id not in {hit.object_id for hit in selectors.search(query=query).hits}
    PageViewRestriction.objects.filter(page=page).delete()
    assert selectors.search(query=query).hits[0].object_id == first.object_id
    Page.objects.filter(pk=page.pk).update(live=False)  # a change that bypassed the unpublish signal
    assert first.object_id not in {hit.object_id for hit in selectors.search(query=query).hits}
