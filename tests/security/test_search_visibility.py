"""Hidden, removed or restricted content leaves search, suggestions and the vocabulary at once."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from wagtail.models import PageViewRestriction

from participation import services
from participation.models import Profile, Proposal
from search.models import SearchDocument, SearchTerm
from search.services import search_document_refresh

pytestmark = pytest.mark.django_db

_seq = itertools.count(1)
TITLE = "Mirador zoomorfico en la colina Quillacollo"
UNIQUE_WORD = "zoomorfico"


def _verified_user():
    n = next(_seq)
    email = f"vecina-busqueda{n}@ejemplo.bo"
    user = get_user_model().objects.create_user(username=email, email=email, password="clave-segura-123456")
    Profile.objects.create(user=user, display_name=f"Vecina {n}", email_verified_at=timezone.now())
    return user


def _suggested(client, prefix: str) -> list[str]:
    response = client.get("/api/search/suggest/", {"q": prefix})
    assert response.status_code == 200
    return [item["title"] for item in response.json()["suggestions"]]


def _found(client, query: str) -> list[str]:
    response = client.get("/api/search/", {"q": query})
    assert response.status_code == 200
    return [item["title"] for item in response.json()["results"]]


@pytest.fixture
def proposal(django_capture_on_commit_callbacks):
    template = Proposal.objects.visible().first()
    with django_capture_on_commit_callbacks(execute=True):
        created = Proposal.objects.create(
            title=TITLE,
            body="Proponemos un mirador zoomorfico con bancas y luminarias solares en la colina.",
            category=template.category,
            author=template.author,
        )
    return created


def _is_indexed(proposal) -> bool:
    return SearchDocument.objects.filter(kind="proposal", object_id=str(proposal.pk)).exists()


def test_a_proposal_hidden_by_reports_leaves_search_suggest_and_vocabulary_at_once(
    client, proposal, settings, django_capture_on_commit_callbacks
):
    settings.AYNI_REPORTS_TO_HIDE = 1
    assert TITLE in _suggested(client, "mirador zoomorf")
    assert TITLE in _found(client, "mirador zoomorfico")
    assert SearchTerm.objects.filter(word=UNIQUE_WORD).exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.content_report(user=_verified_user(), proposal=proposal, reason="spam", client="k1")

    proposal.refresh_from_db()
    assert proposal.moderation == Proposal.Moderation.HIDDEN
    assert not _is_indexed(proposal)
    assert not SearchTerm.objects.filter(word=UNIQUE_WORD).exists()
    assert TITLE not in _suggested(client, "mirador zoomorf")
    assert TITLE not in _found(client, "mirador zoomorfico")
    assert TITLE not in client.get("/buscar/", {"q": "mirador zoomorfico"}).content.decode()


def test_a_proposal_removed_by_a_moderator_leaves_at_once_and_comes_back_when_restored(
    client, proposal, admin_user, django_capture_on_commit_callbacks
):
    assert _is_indexed(proposal)
    with django_capture_on_commit_callbacks(execute=True):
        services.moderation_decide(moderator=admin_user, proposal=proposal, keep=False)
    assert not _is_indexed(proposal)
    assert TITLE not in _suggested(client, "mirador zoomorf")

    with django_capture_on_commit_callbacks(execute=True):
        services.moderation_decide(moderator=admin_user, proposal=proposal, keep=True, reason="Cumple las normas.")
    assert _is_indexed(proposal)
    assert TITLE in _suggested(client, "mirador zoomorf")


def test_suggest_and_search_check_the_live_state_even_if_the_document_stayed(client, proposal):
    """Second line of defence: a change that bypasses the services (QuerySet.update) still hides it."""
    Proposal.objects.filter(pk=proposal.pk).update(moderation=Proposal.Moderation.REMOVED)
    assert _is_indexed(proposal)  # nothing told the search
    assert TITLE not in _suggested(client, "mirador zoomorf")
    assert TITLE not in _found(client, "mirador zoomorfico")


@pytest.fixture
def guide(guide_page_factory):
    page = guide_page_factory(title="Licencia de quirquincho para ferias", slug="licencia-de-quirquincho")
    search_document_refresh(kind="guide", object_id=str(page.pk))
    return page


def test_a_page_with_a_new_view_restriction_leaves_search_and_suggest(
    client, guide, django_capture_on_commit_callbacks
):
    assert guide.title in _suggested(client, "licencia de quirquin")
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(page=guide, restriction_type=PageViewRestriction.LOGIN)
    assert not SearchDocument.objects.filter(kind="guide", object_id=str(guide.pk)).exists()
    assert guide.title not in _suggested(client, "licencia de quirquin")
    assert guide.title not in _found(client, "licencia de quirquincho")

    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.filter(page=guide).delete()
    assert SearchDocument.objects.filter(kind="guide", object_id=str(guide.pk)).exists()
    assert guide.title in _suggested(client, "licencia de quirquin")


def test_a_restriction_on_an_ancestor_hides_the_subtree_even_without_signals(client, guide):
    """bulk_create sends no signal: the suggestions still join on the live restrictions."""
    PageViewRestriction.objects.bulk_create(
        [PageViewRestriction(page=guide.get_parent(), restriction_type=PageViewRestriction.LOGIN)]
    )
    assert SearchDocument.objects.filter(kind="guide", object_id=str(guide.pk)).exists()
    assert guide.title not in _suggested(client, "licencia de quirquin")
    assert guide.title not in _found(client, "licencia de quirquincho")
