import pytest

from search import selectors
from search.models import PageVisitCount
from search.services import page_visit_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(guide_page_factory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # indexed, as after a real publish
        return guide_page_factory(title="Compra de nicho de prueba", slug="nicho-visitas-prueba")


def test_visits_are_counted_on_cached_hits_and_flushed_every_n(client, settings, guide):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 3
    page, url = guide, guide.url
    first = client.get(url)
    second = client.get(url)
    assert first["X-Ayni-Cache"] == "miss" and second["X-Ayni-Cache"] == "hit"
    assert not PageVisitCount.objects.filter(page=page).exists()  # buffered in the cache
    client.get(url)
    assert PageVisitCount.objects.get(page=page).visits == 3
    for _ in range(3):
        client.get(url)
    assert PageVisitCount.objects.get(page=page).visits == 6


def test_the_count_stays_out_of_the_cached_html(client, settings, guide):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 1
    first = client.get(guide.url).content
    assert client.get(guide.url).content == first


def test_a_single_visit_is_written_when_the_threshold_is_one(settings, guide):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 1
    page_visit_record(page_id=guide.pk)
    assert PageVisitCount.objects.get(page=guide).visits == 1


def test_empty_search_orders_guides_by_visits(
    client, settings, guide, guide_page_factory, django_capture_on_commit_callbacks
):
    settings.AYNI_SEARCH_VISIT_FLUSH_EVERY = 1
    with django_capture_on_commit_callbacks(execute=True):
        popular = guide_page_factory(title="Registro de mascotas de prueba", slug="mascotas-visitas-prueba")
    for _ in range(3):
        client.get(popular.url)
    client.get(guide.url)
    hits = selectors.search(query="").hits
    assert [hit.slug for hit in hits[:2]] == [popular.slug, guide.slug]
    assert hits[0].score == 3.0 and hits[1].score == 1.0
    assert len(hits) <= 10 and len({hit.slug for hit in hits}) == len(hits)
