"""Public proposals are found by the portal's search; hidden ones are not."""

import pytest

from participation.models import Proposal

pytestmark = pytest.mark.django_db


def _search(client, q):
    response = client.get("/api/search/", {"q": q, "type": "proposal"})
    assert response.status_code == 200
    return [item["title"] for item in response.json()["results"]]


def test_visible_proposal_is_searchable_and_hidden_one_disappears(client, django_capture_on_commit_callbacks):
    template = Proposal.objects.first()
    with django_capture_on_commit_callbacks(execute=True):
        proposal = Proposal.objects.create(
            title="Ciclovía en la avenida Blanco Galindo",
            body="Proponemos una ciclovía segura y arborizada hasta el puente.",
            category=template.category,
            author=template.author,
        )
    assert "Ciclovía en la avenida Blanco Galindo" in _search(client, "ciclovias blanco galindo")
    with django_capture_on_commit_callbacks(execute=True):
        proposal.moderation = Proposal.Moderation.HIDDEN
        proposal.save()
    assert "Ciclovía en la avenida Blanco Galindo" not in _search(client, "ciclovia blanco galindo")
