"""A page made private stops being served from the anonymous page cache at once."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from wagtail.models import PageViewRestriction

pytestmark = pytest.mark.django_db
TITLE = "Licencia de prueba para la caché"
URL = "/tramites/licencia-de-prueba-cache/"


@pytest.fixture
def guide(guide_page_factory):
    return guide_page_factory(title=TITLE, slug="licencia-de-prueba-cache")


def _cached(client) -> None:
    assert client.get(URL)["X-Ayni-Cache"] == "miss"
    assert client.get(URL)["X-Ayni-Cache"] == "hit"


def _not_served(response, *, password_form: bool = False) -> None:
    """A login redirect (or, for a password restriction, Wagtail's password form), never the cached page."""
    assert response.status_code == (200 if password_form else 302)
    assert "X-Ayni-Cache" not in response
    assert TITLE not in response.content.decode()


def test_a_new_login_restriction_on_the_page_purges_its_cached_copy(client, guide):
    _cached(client)
    PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    _not_served(client.get(URL))


def test_a_restriction_on_an_ancestor_purges_the_subtree(client, guide):
    _cached(client)
    PageViewRestriction.objects.create(
        page=guide.get_parent(), restriction_type=PageViewRestriction.PASSWORD, password="x1"
    )
    response = client.get(URL)
    _not_served(response, password_form=True)
    assert 'name="password"' in response.content.decode()


def test_a_group_restriction_set_through_the_privacy_modal_purges_the_cache(client, guide, admin_user):
    """The admin's privacy view saves the restriction, then its groups."""
    _cached(client)
    group = Group.objects.create(name="Solo personal municipal")
    admin = client.__class__()
    admin.force_login(admin_user)
    response = admin.post(
        f"/admin/pages/{guide.pk}/privacy/", {"restriction_type": PageViewRestriction.GROUPS, "groups": [group.pk]}
    )
    assert response.status_code == 200
    assert PageViewRestriction.objects.filter(page=guide, groups=group).exists()
    _not_served(client.get(URL))


def test_removing_the_restriction_serves_and_caches_the_page_again(client, guide):
    restriction = PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    _not_served(client.get(URL))
    restriction.delete()
    _cached(client)


def test_a_restricted_page_rendered_for_anyone_is_never_stored(rf, guide, settings):
    """Even a render that reaches serve_cached (e.g. a hook that lets it through) is not marked for the cache."""
    from django.contrib.auth.models import AnonymousUser

    from cms.cache import serve_cached

    PageViewRestriction.objects.create(page=guide.get_parent(), restriction_type=PageViewRestriction.LOGIN)
    request = rf.get(URL)
    request.user = AnonymousUser()
    response = serve_cached(guide, request, lambda: __import__("django.http").http.HttpResponse("ok"))
    assert getattr(response, "ayni_cache_page_id", None) is None
