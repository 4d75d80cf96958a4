import pytest

from cms.models import GuidePage
from search import selectors
from search.models import PageVisitCount
from search.services import page_visit_record

pytestmark = pytest.mark.django_db
GUIDE = "/tramites/compra-de-nicho/"


def test_visits_are_counted_on_cached_hits_and_flushed_every_n(client, settings):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 3
    page = GuidePage.objects.get(slug="compra-de-nicho")
    first = client.get(GUIDE)
    second = client.get(GUIDE)
    assert first["X-Ayni-Cache"] == "miss" and second["X-Ayni-Cache"] == "hit"
    assert not PageVisitCount.objects.filter(page=page).exists()  # buffered in the cache
    client.get(GUIDE)
    assert PageVisitCount.objects.get(page=page).visits == 3
    for _ in range(3):
        client.get(GUIDE)
    assert PageVisitCount.objects.get(page=page).visits == 6


def test_the_count_stays_out_of_the_cached_html(client, settings):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 1
    first = client.get(GUIDE).content
    assert client.get(GUIDE).content == first


def test_a_single_visit_is_written_when_the_threshold_is_one(settings):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 1
    page_visit_record(page_id=GuidePage.objects.get(slug="cita-medica").pk)
    assert PageVisitCount.objects.get(page__slug="cita-medica").visits == 1


def test_empty_search_orders_guides_by_visits(client, settings):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 1
    for _ in range(3):
        client.get("/tramites/registro-de-mascotas/")
    client.get(GUIDE)
    hits = selectors.search(query="").hits
    assert [hit.slug for hit in hits[:2]] == ["registro-de-mascotas", "compra-de-nicho"]
    assert hits[0].score == 3.0
    assert len(hits) == 10 and len({hit.slug for hit in hits}) == 10
