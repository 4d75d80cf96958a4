"""The verification level each action needs (staff choose it; AYNI_LEVEL_* until then), and what a refused
resident is told."""

import pytest
from django.core.exceptions import PermissionDenied

from participation.models import ParticipationSettings
from participation.services import proposal_support

pytestmark = pytest.mark.django_db


def _staff_levels(**levels) -> None:
    """What staff save in Propiedades → Participación ciudadana (e.g. support="identity", threshold="email")."""
    record = ParticipationSettings.load()
    for name, level in levels.items():
        setattr(record, f"{name}_level", level)
    record.save()


def test_an_email_verified_account_supports_at_the_default_level(make_user, make_proposal):
    count, created = proposal_support(proposal=make_proposal(), user=make_user())
    assert created and count == 1


def test_an_unverified_account_is_told_to_confirm_its_email(make_user, make_proposal):
    with pytest.raises(PermissionDenied, match="Confirma tu correo electrónico para apoyar propuestas."):
        proposal_support(proposal=make_proposal(), user=make_user(verified=False))


def test_when_staff_require_identity_the_resident_is_told_to_prove_it(settings, make_user, make_proposal):
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    _staff_levels(support="identity")
    with pytest.raises(PermissionDenied, match="Verifica tu identidad con Ciudadanía Digital para apoyar propuestas."):
        proposal_support(proposal=make_proposal(), user=make_user())


def test_until_staff_choose_the_environment_decides(settings, make_user, make_proposal):
    """AYNI_LEVEL_SUPPORT=identity with no settings record yet (a fresh installation)."""
    settings.AYNI_ACTION_LEVELS = {**settings.AYNI_ACTION_LEVELS, "support": "identity"}
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    assert not ParticipationSettings.objects.exists()
    with pytest.raises(PermissionDenied, match="Verifica tu identidad con Ciudadanía Digital para apoyar propuestas."):
        proposal_support(proposal=make_proposal(), user=make_user())
    # Staff's choice then wins over the environment.
    _staff_levels(support="email")
    assert proposal_support(proposal=make_proposal(), user=make_user()) == (1, True)
