"""A support is one round trip to the database, and its live count goes out after commit.

Runs on the suite's database: on PostgreSQL the insert, the counter row and the
proposal's copy of the count are one statement; elsewhere three statements in
one transaction (a repeat: the refused insert and a read).
"""

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from participation import realtime, selectors, services
from participation.models import Proposal, Support

pytestmark = pytest.mark.django_db

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


@pytest.fixture
def broadcasts(monkeypatch):
    sent = []
    monkeypatch.setattr(
        realtime,
        "broadcast_support_count",
        lambda *, proposal_id, count, identity_count: sent.append((proposal_id, count)),
    )
    return sent


def _writes(function) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        result = function()
    statements = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    return result, statements


def test_a_support_is_one_statement_on_postgres_and_three_elsewhere(make_user, make_proposal):
    proposal, user = make_proposal(), make_user()
    user = type(user).objects.select_related("participation_profile").get(pk=user.pk)
    selectors.participation_levels()  # the levels staff chose are read once, then cached for every process
    (count, created), statements = _writes(lambda: services.proposal_support(proposal=proposal, user=user))
    assert (count, created) == (1, True)
    assert len(statements) == (1 if ON_POSTGRES else 3), "\n".join(statements)
    (count, created), statements = _writes(lambda: services.proposal_support(proposal=proposal, user=user))
    assert (count, created) == (1, False)
    assert len(statements) == (1 if ON_POSTGRES else 2), "\n".join(statements)
    (count, removed), statements = _writes(lambda: services.proposal_withdraw_support(proposal=proposal, user=user))
    assert (count, removed) == (0, True)
    assert len(statements) == (1 if ON_POSTGRES else 3), "\n".join(statements)
    assert Proposal.objects.get(pk=proposal.pk).support_count == 0
    assert not Support.objects.filter(proposal=proposal).exists()


def test_the_live_count_goes_out_after_commit_and_only_for_a_change(
    make_user, make_proposal, broadcasts, django_capture_on_commit_callbacks
):
    proposal, user = make_proposal(), make_user()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            services.proposal_support(proposal=proposal, user=user)
            services.proposal_support(proposal=proposal, user=user)  # a repeat changes nothing
    assert broadcasts == []  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert broadcasts == [(proposal.pk, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_withdraw_support(proposal=proposal, user=user)
        services.proposal_withdraw_support(proposal=proposal, user=user)
    assert broadcasts == [(proposal.pk, 1), (proposal.pk, 0)]


def test_a_rolled_back_support_publishes_nothing_and_counts_nothing(make_user, make_proposal, broadcasts):
    proposal, user = make_proposal(), make_user()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.proposal_support(proposal=proposal, user=user)
        raise RuntimeError
    assert broadcasts == []
    assert Proposal.objects.get(pk=proposal.pk).support_count == 0
    assert not Support.objects.filter(proposal=proposal).exists()


def test_the_threshold_is_reached_in_the_same_write(make_user, make_proposal, settings):
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 2
    proposal = make_proposal()
    services.proposal_support(proposal=proposal, user=make_user())
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.PUBLISHED
    services.proposal_support(proposal=proposal, user=make_user())
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.THRESHOLD_REACHED


def test_the_worker_brings_a_copy_left_behind_up_to_the_counter_rows(
    make_user, make_proposal, broadcasts, settings, django_capture_on_commit_callbacks
):
    """A support that found the proposal busy leaves its copy behind; the worker's poll catches up."""
    from ayni import schedule

    assert "participation.support_counts" in {poll.name for poll in schedule.polls()}
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 2
    proposal = make_proposal()
    for _ in range(2):
        services.proposal_support(proposal=proposal, user=make_user())
    Proposal.objects.filter(pk=proposal.pk).update(support_count=0, status=Proposal.Status.PUBLISHED)
    broadcasts.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.support_counts_rollup(proposal_ids=[proposal.pk]) == 1
    proposal.refresh_from_db()
    assert (proposal.support_count, proposal.status) == (2, Proposal.Status.THRESHOLD_REACHED)
    assert broadcasts == [(proposal.pk, 2)]
    assert services.support_counts_rollup(proposal_ids=[proposal.pk]) == 0  # nothing left behind
    if not ON_POSTGRES:
        assert services.support_counts_poll() == 0  # SQLite keeps the copies exact: the poll does nothing
