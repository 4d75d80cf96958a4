import pytest

from cms.models import GuidePage, Office

pytestmark = pytest.mark.django_db


@pytest.fixture
def url(guide_page):
    """A published guide's address (guides opt in to the page cache)."""
    return guide_page.url


def test_anonymous_guide_page_is_cached(url, client):
    assert client.get(url)["X-Ayni-Cache"] == "miss"
    assert client.get(url)["X-Ayni-Cache"] == "hit"


def test_publishing_purges_the_cache(url, guide_page, client):
    client.get(url)
    page = GuidePage.objects.get(pk=guide_page.pk)
    page.summary = "Resumen corregido por la editora."
    page.save_revision().publish()
    response = client.get(url)
    assert response["X-Ayni-Cache"] == "miss"
    assert "Resumen corregido por la editora." in response.content.decode()


def test_editing_an_office_purges_the_cache(url, guide_page, client):
    client.get(url)
    office = guide_page.office
    Office.objects.filter(pk=office.pk).update()  # no signal: still cached
    assert client.get(url)["X-Ayni-Cache"] == "hit"
    office.hours = "Lunes a sábado de 08:00 a 18:00"
    office.save()
    assert "Lunes a sábado de 08:00 a 18:00" in client.get(url).content.decode()


def test_logged_in_users_and_query_strings_bypass_the_cache(url, client, admin_user):
    client.get(url)
    assert "X-Ayni-Cache" not in client.get(url + "?opinion=gracias")
    client.force_login(admin_user)
    assert "X-Ayni-Cache" not in client.get(url)


def test_cached_html_holds_no_csrf_token_or_session(url, client):
    response = client.get(url)
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert not response.cookies


def test_a_hit_is_answered_without_touching_the_database(url, guide_page, client, django_assert_num_queries):
    client.get(url)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response["X-Ayni-Cache"] == "hit"
    assert guide_page.title in response.content.decode()


def test_pages_that_do_not_opt_in_are_never_stored(client):
    client.get("/buscar/")
    assert "X-Ayni-Cache" not in client.get("/buscar/")
    assert "X-Ayni-Cache" not in client.get("/api/guides/")


def test_cache_can_be_switched_off(url, client, settings):
    settings.AYNI_PAGE_CACHE_SECONDS = 0
    client.get(url)
    assert "X-Ayni-Cache" not in client.get(url)


def test_a_deploy_purges_pages_and_fragments_cached_with_the_old_templates():
    """portal_setup and compose's migrate step run purge_page_cache: a new generation."""
    from django.core.management import call_command

    from cms.cache import content_generation

    before = content_generation()
    call_command("purge_page_cache", verbosity=0)
    assert content_generation() == before + 1
