"""participation/rules.py role by role, on factories: who may propose, support, comment, report,
follow, edit a proposal, answer it, moderate, open the complaint queue and handle a complaint."""

import pytest
from django.contrib.auth.models import AnonymousUser

from participation.models import Complaint
from participation.rules import can, complaints_visible_filter, is_verified

pytestmark = pytest.mark.django_db

CITIZEN_ACTIONS = ("propose", "support", "comment", "report")
STAFF_ACTIONS = ("answer_proposal", "moderate", "use_complaint_queue")


@pytest.fixture
def unit_a(municipal_unit_factory):
    return municipal_unit_factory()


@pytest.fixture
def unit_b(municipal_unit_factory):
    return municipal_unit_factory()


@pytest.fixture
def person(
    citizen_factory,
    verified_citizen_factory,
    moderator_factory,
    transparency_officer_factory,
    case_worker_factory,
    superuser_factory,
    unit_a,
    unit_b,
):
    """A person in the given role (case workers of unit A or of unit B)."""
    makers = {
        "anonymous": AnonymousUser,
        "unverified": citizen_factory,
        "inactive": lambda: verified_citizen_factory(is_active=False),
        "verified": verified_citizen_factory,
        "moderator": moderator_factory,
        "transparency": transparency_officer_factory,
        "case_worker_a": lambda: case_worker_factory(units=[unit_a]),
        "case_worker_b": lambda: case_worker_factory(units=[unit_b]),
        "superuser": superuser_factory,
    }
    return lambda role: makers[role]()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("anonymous", False),
        ("unverified", False),
        ("inactive", False),
        ("verified", True),
        ("moderator", True),  # staff accounts are verified citizens too
        ("case_worker_a", True),
        ("superuser", True),
    ],
)
def test_citizen_actions_need_a_verified_active_account(person, role, allowed):
    user = person(role)
    assert is_verified(user) is allowed
    for action in CITIZEN_ACTIONS:
        assert can(user, action) is allowed, action


@pytest.mark.parametrize(("role", "allowed"), [("anonymous", False), ("unverified", True), ("verified", True)])
def test_following_needs_only_an_account(person, role, allowed):
    assert can(person(role), "follow") is allowed


@pytest.mark.parametrize(
    ("role", "answer_and_moderate", "queue"),
    [
        ("anonymous", False, False),
        ("unverified", False, False),
        ("verified", False, False),
        ("moderator", True, False),
        ("transparency", False, True),
        ("case_worker_a", False, True),
        ("superuser", True, True),
    ],
)
def test_staff_actions_by_role(person, role, answer_and_moderate, queue):
    user = person(role)
    assert can(user, "answer_proposal") is answer_and_moderate
    assert can(user, "moderate") is answer_and_moderate
    assert can(user, "use_complaint_queue") is queue


def test_only_the_author_edits_a_proposal_and_only_before_any_support(
    proposal, verified_citizen_factory, moderator, superuser, support_factory
):
    author = proposal.author
    assert can(author, "edit_proposal", proposal)
    for other in (verified_citizen_factory(), moderator, superuser, AnonymousUser()):
        assert not can(other, "edit_proposal", proposal)
    support_factory(proposal=proposal)
    assert proposal.support_count == 1
    assert not can(author, "edit_proposal", proposal)


@pytest.mark.parametrize("status", ["threshold_reached", "evaluating", "accepted", "rejected", "implemented"])
def test_a_proposal_past_publication_is_not_edited(proposal_factory, status):
    proposal = proposal_factory(status=status)
    assert not can(proposal.author, "edit_proposal", proposal)


@pytest.mark.parametrize(
    ("role", "reclamo_of_a", "sugerencia_of_a", "reclamo_of_b", "denuncia_of_a"),
    [
        ("anonymous", False, False, False, False),
        ("verified", False, False, False, False),
        ("moderator", False, False, False, False),
        ("case_worker_a", True, True, False, False),  # a denuncia never goes to the unit's officers
        ("case_worker_b", False, False, True, False),
        ("transparency", False, False, False, True),
        ("superuser", True, True, True, True),
    ],
)
def test_handling_a_complaint_by_role_and_unit(
    person, complaint_factory, unit_a, unit_b, role, reclamo_of_a, sugerencia_of_a, reclamo_of_b, denuncia_of_a
):
    complaints = {
        "reclamo_of_a": complaint_factory(unit=unit_a, kind="reclamo"),
        "sugerencia_of_a": complaint_factory(unit=unit_a, kind="sugerencia"),
        "reclamo_of_b": complaint_factory(unit=unit_b, kind="reclamo"),
        "denuncia_of_a": complaint_factory(unit=unit_a, kind="denuncia", anonymous=True),
    }
    expected = {
        "reclamo_of_a": reclamo_of_a,
        "sugerencia_of_a": sugerencia_of_a,
        "reclamo_of_b": reclamo_of_b,
        "denuncia_of_a": denuncia_of_a,
    }
    user = person(role)
    for name, complaint in complaints.items():
        assert can(user, "handle_complaint", complaint) is expected[name], name

    # The queryset filter of the staff screens says the same as the rule.
    condition = complaints_visible_filter(user)
    ours = Complaint.objects.filter(pk__in=[c.pk for c in complaints.values()])
    visible = set() if condition is None else set(ours.filter(condition).distinct().values_list("pk", flat=True))
    assert visible == {complaints[name].pk for name, allowed in expected.items() if allowed}


def test_a_case_worker_of_two_units_handles_both(case_worker_factory, complaint_factory, unit_a, unit_b):
    worker = case_worker_factory(units=[unit_a, unit_b])
    assert can(worker, "handle_complaint", complaint_factory(unit=unit_a))
    assert can(worker, "handle_complaint", complaint_factory(unit=unit_b))


def test_membership_without_the_officer_role_gives_nothing(case_worker_factory, complaint_factory, unit_a):
    member = case_worker_factory(units=[unit_a], groups=[])
    assert not can(member, "use_complaint_queue")
    assert not can(member, "handle_complaint", complaint_factory(unit=unit_a))
