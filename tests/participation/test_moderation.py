"""Moderation that one group cannot abuse: automatic hiding counts only reports of different active
accounts at the level staff ask for reporting; staff see who reported, and every hiding, restore and
removal is recorded with who and why."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from participation import selectors, services
from participation.models import Comment, ContentReport, ModerationDecision, ParticipationSettings, Proposal

pytestmark = pytest.mark.django_db


def _staff_levels(**levels) -> None:
    """What staff save in Propiedades → Participación ciudadana (e.g. support="identity", threshold="email")."""
    record = ParticipationSettings.load()
    for name, level in levels.items():
        setattr(record, f"{name}_level", level)
    record.save()


def _report(user, **target) -> bool:
    return services.content_report(user=user, client="", **target)


def _moderation(target) -> str:
    return type(target).objects.get(pk=target.pk).moderation


def test_when_the_report_level_is_identity_only_verified_residents_hide(
    settings, make_user, make_resident, make_proposal
):
    settings.AYNI_REPORTS_TO_HIDE = 3
    _staff_levels(report="identity")
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    proposal = make_proposal()
    with pytest.raises(PermissionDenied, match="Verifica tu identidad con Ciudadanía Digital para reportar"):
        _report(make_user(), proposal=proposal)
    residents = [make_resident() for _ in range(3)]
    for resident in residents[:2]:
        assert _report(resident, proposal=proposal)
    assert _moderation(proposal) == "visible"
    assert _report(residents[2], proposal=proposal)
    assert _moderation(proposal) == "hidden"
    decision = ModerationDecision.objects.get(proposal=proposal)
    assert decision.action == "auto_hide" and decision.moderator is None and "3 reportes" in decision.reason


def test_reports_of_accounts_below_the_report_level_stop_counting(settings, make_user, make_resident, make_proposal):
    """Throwaway e-mail accounts reported while the e-mail level was enough; the municipality then asks
    for identity: their reports stay on record but no longer count towards hiding."""
    settings.AYNI_REPORTS_TO_HIDE = 3
    proposal = make_proposal()
    for _ in range(2):
        assert _report(make_user(), proposal=proposal)
    _staff_levels(report="identity")
    for _ in range(2):
        assert _report(make_resident(), proposal=proposal)
    assert proposal.reports.count() == 4 and selectors.counted_reports(target=proposal).count() == 2
    assert _moderation(proposal) == "visible"
    assert _report(make_resident(), proposal=proposal)
    assert _moderation(proposal) == "hidden"


def test_one_account_counts_once_and_a_deactivated_one_not_at_all(settings, make_user, make_proposal):
    settings.AYNI_REPORTS_TO_HIDE = 2
    proposal = make_proposal()
    comment = Comment.objects.create(proposal=proposal, author=make_user(), body="Un comentario cualquiera")
    first = make_user()
    assert _report(first, comment=comment)
    assert not _report(first, comment=comment)  # the same account again
    get_user_model().objects.filter(pk=first.pk).update(is_active=False)
    assert _report(make_user(), comment=comment)
    assert _moderation(comment) == "visible"  # two reports, but one of an account no longer active
    assert _report(make_user(), comment=comment)
    assert _moderation(comment) == "hidden"


def test_after_a_restore_the_same_group_cannot_hide_it_again(settings, make_user, make_proposal, moderator):
    settings.AYNI_REPORTS_TO_HIDE = 3
    proposal = make_proposal()
    group = [make_user() for _ in range(3)]
    for member in group:
        _report(member, proposal=proposal)
    assert _moderation(proposal) == "hidden"
    services.moderation_decide(moderator=moderator, proposal=proposal, keep=True, reason="Propuesta legítima")
    assert _moderation(proposal) == "visible"
    for member in group:
        assert not _report(member, proposal=proposal)
    assert _moderation(proposal) == "visible" and selectors.counted_reports(target=proposal).count() == 0
    # Three other people are needed to hide it again.
    for _ in range(3):
        _report(make_user(), proposal=proposal)
    assert _moderation(proposal) == "hidden"


def test_restoring_needs_a_reason_and_a_moderator(make_user, make_proposal, moderator):
    proposal = make_proposal()
    with pytest.raises(Exception, match="Indica por qué restableces"):
        services.moderation_decide(moderator=moderator, proposal=proposal, keep=True, reason="  ")
    with pytest.raises(PermissionDenied):
        services.moderation_decide(moderator=make_user(), proposal=proposal, keep=True, reason="Porque sí")
    decision = services.moderation_decide(moderator=moderator, proposal=proposal, keep=False)
    assert (decision.action, decision.moderator, decision.reason) == ("remove", moderator, "")
    assert _moderation(proposal) == "removed"


def test_staff_see_who_reported_and_the_restore_records_who_and_why(client, settings, make_user, make_proposal):
    settings.AYNI_REPORTS_TO_HIDE = 2
    moderator = make_user(groups=("Moderadores",))
    proposal = make_proposal(title="Propuesta muy reportada")
    ana, beto = make_user(name="Ana Reportante"), make_user(name="Beto Reportante")
    _report(ana, proposal=proposal, reason="publicidad")
    _report(beto, proposal=proposal, reason="repetida")
    assert _moderation(proposal) == "hidden"
    client.force_login(moderator)
    url = reverse("participation_admin:moderation_decide", args=["propuesta", proposal.pk])
    listing = client.get(reverse("participation_admin:proposals"), {"reportadas": "1"}).content.decode()
    assert url in listing
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("Ana Reportante", ana.email, "Beto Reportante", "publicidad", "repetida", "Correo verificado"):
        assert text in html
    assert html.count("abierto, cuenta") == 2 and "Ocultada automáticamente por reportes" in html
    response = client.post(url, {"decision": "mantener", "reason": ""})
    assert response.status_code == 400 and "Indica por qué restableces el contenido." in response.content.decode()
    assert _moderation(proposal) == "hidden"
    response = client.post(url, {"decision": "mantener", "reason": "No infringe las normas de participación"})
    assert response.status_code == 302
    assert _moderation(proposal) == "visible"
    decision = ModerationDecision.objects.filter(proposal=proposal).last()
    assert (decision.action, decision.moderator, decision.reason) == (
        "restore",
        moderator,
        "No infringe las normas de participación",
    )
    assert set(ContentReport.objects.filter(proposal=proposal).values_list("decision", flat=True)) == {decision.pk}
    html = client.get(url).content.decode()
    assert "Restablecida" in html and moderator.get_username() in html
    assert "No infringe las normas de participación" in html and html.count("resuelto el") == 2


def test_the_comment_listing_names_who_reported(client, make_user, make_proposal, moderator):
    proposal = make_proposal()
    comment = Comment.objects.create(proposal=proposal, author=make_user(), body="Comentario dudoso")
    _report(make_user(name="Carla Reportante"), comment=comment, reason="spam")
    client.force_login(moderator)
    html = client.get(reverse("participation_admin:moderation")).content.decode()
    assert "Reportado por:" in html and "Carla Reportante" in html
    assert reverse("participation_admin:moderation_decide", args=["comentario", comment.pk]) in html


def test_only_moderators_open_the_moderation_page(client, make_user, make_proposal, officer_a):
    proposal = make_proposal()
    _report(make_user(), proposal=proposal)
    url = reverse("participation_admin:moderation_decide", args=["propuesta", proposal.pk])
    client.force_login(officer_a)
    assert client.get(url).status_code in (302, 403)
    assert client.post(url, {"decision": "retirar"}).status_code in (302, 403)
    assert Proposal.objects.get(pk=proposal.pk).moderation == "visible"
