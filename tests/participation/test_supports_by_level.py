"""Supports by verification level: every support and those of residents whose identity the provider
proved are counted apart, the threshold counts the level the municipality chooses (staff, in the settings),
and an account that proves its identity later has its supports count at that level."""

import re

import pytest
from asgiref.sync import async_to_sync

from participation import realtime, services
from participation.models import ParticipationSettings, Proposal, Support
from participation.services.accounts import account_identity_link

pytestmark = pytest.mark.django_db


def _staff_levels(**levels) -> None:
    """What staff save in Propiedades → Participación ciudadana (e.g. support="identity", threshold="email")."""
    record = ParticipationSettings.load()
    for name, level in levels.items():
        setattr(record, f"{name}_level", level)
    record.save()


def _state(proposal) -> tuple[int, int, str]:
    proposal = Proposal.objects.get(pk=proposal.pk)
    return proposal.support_count, proposal.identity_support_count, proposal.status


@pytest.fixture
def broadcasts(monkeypatch):
    sent = []
    monkeypatch.setattr(
        realtime,
        "broadcast_support_count",
        lambda *, proposal_id, count, identity_count: sent.append((proposal_id, count, identity_count)),
    )
    return sent


def test_each_support_counts_at_its_supporters_level(make_user, make_resident, make_proposal):
    proposal = make_proposal()
    email_only, resident = make_user(), make_resident()
    assert services.proposal_support(proposal=proposal, user=email_only) == (1, True)
    assert services.proposal_support(proposal=proposal, user=resident) == (2, True)
    assert services.proposal_support(proposal=proposal, user=resident) == (2, False)
    assert _state(proposal) == (2, 1, "published")
    assert dict(Support.objects.filter(proposal=proposal).values_list("user_id", "level")) == {
        email_only.pk: "email",
        resident.pk: "identity",
    }
    # A withdrawal takes back the level the support had.
    assert services.proposal_withdraw_support(proposal=proposal, user=resident) == (1, True)
    assert _state(proposal) == (1, 0, "published")
    assert services.proposal_withdraw_support(proposal=proposal, user=resident) == (1, False)
    assert services.proposal_withdraw_support(proposal=proposal, user=email_only) == (0, True)
    assert _state(proposal) == (0, 0, "published")


def test_the_threshold_counts_the_level_the_municipality_chooses(settings, make_user, make_resident, make_proposal):
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 2
    _staff_levels(threshold="identity")
    proposal = make_proposal()
    for _ in range(3):
        services.proposal_support(proposal=proposal, user=make_user())
    assert _state(proposal) == (3, 0, "published")  # three e-mail supports are not two verified residents
    services.proposal_support(proposal=proposal, user=make_resident())
    assert _state(proposal) == (4, 1, "published")
    services.proposal_support(proposal=proposal, user=make_resident())
    assert _state(proposal) == (5, 2, "threshold_reached")
    # At the default level every support counts.
    _staff_levels(threshold="email")
    other = make_proposal(title="Bancas en la plaza del distrito")
    services.proposal_support(proposal=other, user=make_user())
    services.proposal_support(proposal=other, user=make_user())
    assert _state(other) == (2, 0, "threshold_reached")


def test_proving_identity_later_moves_the_supports_up(
    settings, make_user, make_proposal, broadcasts, django_capture_on_commit_callbacks
):
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 1
    _staff_levels(threshold="identity")
    user = make_user()
    first, second, withdrawn = (make_proposal(title=f"Propuesta por nivel {n}") for n in range(3))
    for proposal in (first, second, withdrawn):
        services.proposal_support(proposal=proposal, user=user)
    services.proposal_withdraw_support(proposal=withdrawn, user=user)
    assert _state(first) == (1, 0, "published")
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        account_identity_link(user_id=user.pk, provider="https://proveedor.ejemplo.bo", sub="cd-9", email=user.email)
    assert _state(first) == _state(second) == (1, 1, "threshold_reached")
    assert _state(withdrawn) == (0, 0, "published")
    assert sorted(broadcasts) == sorted([(first.pk, 1, 1), (second.pk, 1, 1)])
    assert set(Support.objects.filter(user=user).values_list("level", flat=True)) == {"identity"}
    # Nothing is counted twice.
    assert services.supports_relevel(user_id=user.pk) == 0
    assert _state(first) == (1, 1, "threshold_reached")


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode())).replace(" ,", ",")


def test_pages_and_api_show_supports_by_level(client, settings, make_user, make_resident, make_proposal):
    settings.OIDC_ENABLED = True
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 50
    _staff_levels(threshold="identity", support="identity")
    proposal = make_proposal(title="Alumbrado en el pasaje Sucre")
    for _ in range(2):
        Support.objects.create(proposal=proposal, user=make_user())
    resident = make_resident()
    services.proposal_support(proposal=proposal, user=resident)
    services.support_tallies_rebuild(proposal_ids=[proposal.pk])  # the two created directly count too
    page = _text(client.get(proposal.get_absolute_url()))
    assert "3 apoyos, 1 de residentes verificados con Ciudadanía Digital" in page
    assert "Para pasar a evaluación necesita 50 apoyos de residentes verificados con Ciudadanía Digital." in page
    listing = _text(client.get("/participa/propuestas/"))
    assert "3 apoyos, 1 de residentes verificados con Ciudadanía Digital" in listing
    data = client.get(f"/api/proposals/{proposal.pk}/").json()
    assert (data["support_count"], data["identity_support_count"]) == (3, 1)
    # An e-mail account is told what it needs, with the way to get it.
    client.force_login(make_user())
    page = _text(client.get(proposal.get_absolute_url()))
    assert "Verifica tu identidad con Ciudadanía Digital para apoyar propuestas. Ir a mi perfil" in page
    assert "Apoyar esta propuesta" not in page
    # Without the provider and with the e-mail threshold, a page says nothing about levels.
    settings.OIDC_ENABLED = False
    _staff_levels(threshold="email")
    plain = make_proposal(title="Papeleros en la avenida")
    page = _text(client.get(plain.get_absolute_url()))
    assert "residentes verificados" not in page and "Para pasar a evaluación necesita 50 apoyos." in page


def test_the_poller_sends_a_change_of_either_count(monkeypatch):
    sent = []

    class Layer:
        async def group_send(self, group, event):
            sent.append((group, event))

    monkeypatch.setattr(realtime, "get_channel_layer", lambda: Layer())
    async_to_sync(realtime.CountPoller._send_changes)({1: (3, 1), 2: (5, 0)}, {1: (3, 2), 2: (5, 0)})
    event = {"type": "support.count", "proposal": 1, "count": 3, "identity_count": 2}
    assert sent == [(realtime.proposal_group(1), event), (realtime.LIST_GROUP, event)]
