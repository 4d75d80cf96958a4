"""The verification level each action needs (AYNI_LEVEL_*), and what a refused resident is told."""

import pytest
from django.core.exceptions import PermissionDenied

from participation.services import proposal_support

pytestmark = pytest.mark.django_db


def test_an_email_verified_account_supports_at_the_default_level(make_user, make_proposal):
    count, created = proposal_support(proposal=make_proposal(), user=make_user())
    assert created and count == 1


def test_an_unverified_account_is_told_to_confirm_its_email(make_user, make_proposal):
    with pytest.raises(PermissionDenied, match="Confirma tu correo electrónico para apoyar propuestas."):
        proposal_support(proposal=make_proposal(), user=make_user(verified=False))


def test_when_identity_is_required_the_resident_is_told_to_prove_it(settings, make_user, make_proposal):
    settings.AYNI_ACTION_LEVELS = {**settings.AYNI_ACTION_LEVELS, "support": "identity"}
    settings.OIDC_BUTTON_LABEL = "Ciudadanía Digital"
    with pytest.raises(PermissionDenied, match="Verifica tu identidad con Ciudadanía Digital para apoyar propuestas."):
        proposal_support(proposal=make_proposal(), user=make_user())
