"""Staff choose the verification levels in the admin (Propiedades → Participación ciudadana, issue 16):
the level each action needs and which supports count for the threshold. The environment's AYNI_LEVEL_*
are the initial values; who may change them; and the change takes effect at once."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from participation import selectors, services
from participation.models import ParticipationSettings, Proposal
from participation.rules import OFFICERS

pytestmark = pytest.mark.django_db

FIELDS = ("support_level", "propose_level", "comment_level", "report_level", "threshold_level")


def _edit_url() -> str:
    return reverse(
        "wagtailsettings:edit", args=["participation", "participationsettings", ParticipationSettings.load().pk]
    )


def _form(**changes) -> dict:
    record = ParticipationSettings.load()
    return {**{field: getattr(record, field) for field in FIELDS}, **changes}


def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def oidc_on(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"


def test_a_fresh_record_starts_from_the_environment(settings):
    settings.AYNI_ACTION_LEVELS = {**settings.AYNI_ACTION_LEVELS, "support": "identity", "report": "identity"}
    settings.AYNI_LEVEL_THRESHOLD = "identity"
    assert not ParticipationSettings.objects.exists()
    # Without a record the portal follows the environment, read at each call.
    assert selectors.participation_levels() == selectors.ParticipationLevels(
        support="identity", propose="email", comment="email", report="identity", threshold="identity"
    )
    record = ParticipationSettings.load()  # what the admin screen does the first time staff open it
    assert [getattr(record, field) for field in FIELDS] == ["identity", "email", "email", "identity", "identity"]
    # From then on the record decides, whatever the environment says.
    settings.AYNI_ACTION_LEVELS = {**settings.AYNI_ACTION_LEVELS, "support": "email"}
    settings.AYNI_LEVEL_THRESHOLD = "email"
    assert selectors.action_level("support") == "identity" and selectors.threshold_level() == "identity"


def test_the_levels_are_read_once_until_staff_save(django_assert_num_queries, oidc_on):
    ParticipationSettings.load()
    selectors.participation_levels()
    with django_assert_num_queries(0):
        assert selectors.action_level("support") == "email"
    record = ParticipationSettings.load()
    record.support_level = "identity"
    record.save()
    assert selectors.action_level("support") == "identity"


def test_a_moderator_requires_identity_to_support_and_an_email_account_is_refused(
    client, oidc_on, moderator, make_user, make_resident, make_proposal
):
    proposal = make_proposal()
    email_only, resident = make_user(), make_resident()
    assert services.proposal_support(proposal=proposal, user=email_only) == (1, True)  # the initial level

    client.force_login(moderator)
    page = client.get(_edit_url())
    assert page.status_code == 200
    text = _text(page)
    assert "Verificación que pide cada acción" in text and "Para apoyar propuestas" in text
    response = client.post(_edit_url(), _form(support_level="identity"))
    assert response.status_code == 302
    assert ParticipationSettings.objects.get().support_level == "identity"

    other = make_proposal(title="Bancas en la plaza del distrito")
    with pytest.raises(PermissionDenied, match="Verifica tu identidad con Ciudadanía Digital para apoyar propuestas."):
        services.proposal_support(proposal=other, user=make_user())
    assert services.proposal_support(proposal=other, user=resident) == (1, True)
    # The proposal page tells the e-mail account what it needs instead of offering the button.
    client.force_login(email_only)
    page = _text(client.get(other.get_absolute_url()))
    assert "Verifica tu identidad con Ciudadanía Digital para apoyar propuestas." in page
    assert "Apoyar esta propuesta" not in page


def test_staff_without_the_permission_cannot_change_the_levels(client, oidc_on, make_user):
    officer = make_user(groups=(OFFICERS,))  # reaches the admin, but has no say on participation's settings
    url = _edit_url()
    client.force_login(officer)
    assert client.get(url).status_code in (302, 403)
    response = client.post(url, _form(support_level="identity", threshold_level="identity"))
    assert response.status_code in (302, 403)
    record = ParticipationSettings.objects.get()
    assert (record.support_level, record.threshold_level) == ("email", "email")
    assert selectors.action_level("support") == "email"
    # A resident's account cannot either.
    client.force_login(make_user())
    assert client.post(url, _form(support_level="identity")).status_code in (302, 403)
    assert ParticipationSettings.objects.get().support_level == "email"


def test_identity_cannot_be_chosen_while_the_provider_is_off(client, settings, moderator):
    settings.OIDC_ENABLED = False
    client.force_login(moderator)
    response = client.post(_edit_url(), _form(report_level="identity"))
    assert response.status_code == 200  # the form again, with the reason
    assert "La verificación de identidad no está activada en este portal" in _text(response)
    assert ParticipationSettings.objects.get().report_level == "email"


def test_the_threshold_counts_the_level_staff_choose(
    client, settings, oidc_on, moderator, make_user, make_resident, make_proposal
):
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 2
    client.force_login(moderator)
    assert client.post(_edit_url(), _form(threshold_level="identity")).status_code == 302
    proposal = make_proposal()
    for _ in range(3):
        services.proposal_support(proposal=proposal, user=make_user())
    assert Proposal.objects.get(pk=proposal.pk).status == "published"  # three e-mail supports, no verified resident
    services.proposal_support(proposal=proposal, user=make_resident())
    assert Proposal.objects.get(pk=proposal.pk).status == "published"
    client.logout()
    page = _text(client.get(proposal.get_absolute_url()))
    assert "4 apoyos, 1 de residentes verificados con Ciudadanía Digital" in page
    assert "Para pasar a evaluación necesita 2 apoyos de residentes verificados con Ciudadanía Digital." in page

    # Staff go back to counting every support: the proposal has enough and reaches the threshold on saving.
    reached_before = make_proposal(title="Papeleros en la avenida", status=Proposal.Status.THRESHOLD_REACHED)
    client.force_login(moderator)
    assert client.post(_edit_url(), _form(threshold_level="email")).status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == "threshold_reached"
    assert Proposal.objects.get(pk=reached_before.pk).status == "threshold_reached"
    client.logout()
    page = _text(client.get(proposal.get_absolute_url()))
    assert "Para pasar a evaluación necesita 2 apoyos." in page


def test_a_proposal_past_the_threshold_keeps_it_when_staff_raise_the_level(
    oidc_on, settings, make_user, make_resident, make_proposal
):
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 2
    proposal = make_proposal()
    for _ in range(2):
        services.proposal_support(proposal=proposal, user=make_user())
    assert Proposal.objects.get(pk=proposal.pk).status == "threshold_reached"
    record = ParticipationSettings.load()
    record.threshold_level = "identity"
    record.save()
    assert Proposal.objects.get(pk=proposal.pk).status == "threshold_reached"
    # A new proposal needs two verified residents now.
    other = make_proposal(title="Bancas en la plaza del distrito")
    for _ in range(2):
        services.proposal_support(proposal=other, user=make_user())
    services.proposal_support(proposal=other, user=make_resident())
    assert Proposal.objects.get(pk=other.pk).status == "published"
    services.proposal_support(proposal=other, user=make_resident())
    assert Proposal.objects.get(pk=other.pk).status == "threshold_reached"


def test_auto_hide_counts_only_reports_at_the_level_staff_choose(
    client, settings, oidc_on, moderator, make_user, make_resident, make_proposal
):
    settings.AYNI_REPORTS_TO_HIDE = 3
    proposal = make_proposal()
    for _ in range(2):
        assert services.content_report(user=make_user(), proposal=proposal, client="")
    client.force_login(moderator)
    assert client.post(_edit_url(), _form(report_level="identity")).status_code == 302
    # E-mail accounts may no longer report, and the two earlier reports no longer count.
    with pytest.raises(PermissionDenied, match="Verifica tu identidad con Ciudadanía Digital para reportar"):
        services.content_report(user=make_user(), proposal=proposal, client="")
    for _ in range(2):
        assert services.content_report(user=make_resident(), proposal=proposal, client="")
    assert selectors.counted_reports(target=proposal).count() == 2
    assert Proposal.objects.get(pk=proposal.pk).moderation == "visible"
    # The moderation screen says which level counts.
    page = _text(client.get(reverse("participation_admin:moderation_decide", args=["propuesta", proposal.pk])))
    assert "personas distintas con nivel «identidad verificada»" in page
    assert services.content_report(user=make_resident(), proposal=proposal, client="")
    assert Proposal.objects.get(pk=proposal.pk).moderation == "hidden"
