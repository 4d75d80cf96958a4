"""Supports are exact under concurrency: a unique constraint, not only a check in Python.

Needs PostgreSQL (DATABASE_URL=postgres://…): SQLite serialises every writer,
so there is no concurrency to test there.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.db import connection, connections

from participation import services
from participation.models import Proposal, Support, SupportTally
from participation.services import proposals

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not ON_POSTGRES, reason="concurrency needs PostgreSQL; SQLite serialises all writers"),
]

N = 50


def _run_concurrently(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait(timeout=30)
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_fifty_users_at_once_give_exactly_fifty(make_user, make_proposal):
    assert connection.vendor == "postgresql"
    proposal = make_proposal()
    users = [make_user() for _ in range(N)]
    results = _run_concurrently([lambda u=u: services.proposal_support(proposal=proposal, user=u) for u in users])
    assert sorted(created for _count, created in results) == [True] * N
    assert all(1 <= count <= N for count, _created in results)  # the sums each statement saw
    assert Support.objects.filter(proposal=proposal).count() == N
    assert _counter_rows_total(proposal) == N
    services.support_counts_rollup()  # the worker's poll: copies left behind in the burst catch up
    proposal.refresh_from_db()
    assert proposal.support_count == N


def _counter_rows_total(proposal) -> int:
    return sum(SupportTally.objects.filter(proposal=proposal).values_list("count", flat=True))


def test_supports_together_do_not_queue_on_the_proposal_row(make_user, make_proposal):
    """While another support is refreshing the proposal's copy of its count, a support
    does not wait for it: it commits at once, and its count reaches the copy with the poll."""
    proposal = make_proposal()
    users = [make_user() for _ in range(3)]
    holder = connections.create_connection("default")
    try:
        holder.set_autocommit(False)
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [proposals.ROLLUP_LOCK_CLASS, proposal.pk])
        results = _run_concurrently([lambda u=u: services.proposal_support(proposal=proposal, user=u) for u in users])
        assert [created for _count, created in results] == [True] * 3
        assert Proposal.objects.get(pk=proposal.pk).support_count == 0  # its copy is left behind
    finally:
        holder.rollback()
        holder.close()
    assert services.support_counts_poll() == 1  # the worker's poll
    assert Proposal.objects.get(pk=proposal.pk).support_count == 3
    assert services.support_counts_rollup() == 0  # nothing left to catch up


def test_one_user_fifty_times_at_once_gives_one(make_user, make_proposal):
    proposal = make_proposal()
    user = make_user()
    results = _run_concurrently([lambda: services.proposal_support(proposal=proposal, user=user)] * N)
    assert sum(created for _count, created in results) == 1
    services.support_counts_rollup()
    assert Proposal.objects.get(pk=proposal.pk).support_count == 1
    assert Support.objects.filter(proposal=proposal, user=user).count() == 1


def test_supports_and_withdrawals_at_once_keep_the_count_exact(make_user, make_proposal):
    proposal = make_proposal()
    staying = [make_user() for _ in range(N // 2)]
    leaving = [make_user() for _ in range(N // 2)]
    arriving = [make_user() for _ in range(N // 2)]
    for user in [*staying, *leaving]:
        services.proposal_support(proposal=proposal, user=user)
    calls = [lambda u=u: services.proposal_withdraw_support(proposal=proposal, user=u) for u in leaving]
    calls += [lambda u=u: services.proposal_support(proposal=proposal, user=u) for u in arriving]
    calls += [lambda u=u: services.proposal_support(proposal=proposal, user=u) for u in staying]  # repeats
    results = _run_concurrently(calls)
    assert sum(changed for _count, changed in results) == len(leaving) + len(arriving)
    services.support_counts_rollup()
    proposal.refresh_from_db()
    rows = Support.objects.filter(proposal=proposal).count()
    assert rows == len(staying) + len(arriving) == proposal.support_count
