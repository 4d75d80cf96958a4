"""Database connections never pile up: on PostgreSQL no persistent connections (the web process is
ASGI) and a bounded pool per process; SQLite's connections are kept by the bounded, long-lived threads."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections

from ayni.settings.database import database_config

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_postgresql_settings_are_bounded():
    config = database_config("postgres://ayni:clave@db:5432/ayni")
    assert config["CONN_MAX_AGE"] == 0
    pool = config["OPTIONS"]["pool"]
    assert 1 <= pool["max_size"] <= 32 and pool["min_size"] <= pool["max_size"]
    assert pool["timeout"] > 0
    sized = database_config("postgres://ayni:clave@db:5432/ayni", pool_max_size=3, pool_timeout=0)
    assert sized["OPTIONS"]["pool"]["max_size"] == 3 and sized["OPTIONS"]["pool"]["timeout"] >= 1


def test_the_pool_can_be_switched_off_and_connections_stay_per_request():
    config = database_config("postgres://ayni:clave@db:5432/ayni", pool_max_size=0)
    assert config["CONN_MAX_AGE"] == 0 and "pool" not in config.get("OPTIONS", {})


def test_sqlite_connections_are_persistent_per_thread_and_have_no_pool():
    """A SQLite connection is a file handle: reopening it per request (and checkpointing the WAL when it
    was the last one) cost more than the request's queries."""
    config = database_config("sqlite:////tmp/ayni-test.sqlite3")
    assert config["CONN_MAX_AGE"] is None and "pool" not in config["OPTIONS"]


def test_the_running_settings_keep_no_persistent_postgresql_connection():
    if ON_POSTGRES:
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 0
        assert settings.DATABASES["default"]["OPTIONS"]["pool"]["max_size"] == settings.DATABASE_POOL_MAX_SIZE
    else:
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] is None


def _connections_named(application_name: str) -> int:
    params = connection.get_connection_params()
    dsn = {k: params[k] for k in ("host", "port", "user", "password", "dbname") if params.get(k) is not None}
    with psycopg.connect(**dsn, autocommit=True) as probe:
        row = probe.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return row.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="the pool is PostgreSQL's")
def test_a_burst_of_requests_never_holds_more_connections_than_the_pool():
    """Four times the pool's size of "requests" at once: the server never sees more than the pool.

    The pool is the settings' own (``database_config``), under an alias and an
    application name of its own so that the server's count is this pool's only.
    """
    from django.db.backends.postgresql.base import DatabaseWrapper

    size, name, alias = 3, "ayni-pool-burst-test", "pool-burst-test"
    produced = database_config("postgres://u@h/db", pool_max_size=size, pool_timeout=30)
    settings_dict = {**connection.settings_dict, "CONN_MAX_AGE": produced["CONN_MAX_AGE"]}
    settings_dict["OPTIONS"] = {**produced["OPTIONS"], "application_name": name}
    burst = size * 4
    barrier = threading.Barrier(burst + 1)
    seen: list[int] = []
    errors: list[BaseException] = []

    def request() -> None:
        wrapper = DatabaseWrapper(settings_dict, alias=alias)  # what each request's thread has
        try:
            barrier.wait(timeout=30)
            with wrapper.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(0.05)")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            wrapper.close()  # what Django does when a request ends (CONN_MAX_AGE=0): back to the pool

    threads = [threading.Thread(target=request) for _ in range(burst)]
    for thread in threads:
        thread.start()
    try:
        barrier.wait(timeout=30)
        while any(thread.is_alive() for thread in threads):
            seen.append(_connections_named(name))
        for thread in threads:
            thread.join()
    finally:
        DatabaseWrapper(settings_dict, alias=alias).close_pool()
    assert not errors, errors
    assert seen and max(seen) <= size, (max(seen), size)
    # The pool closed: nothing left open on the server. A closed backend leaves pg_stat_activity a
    # moment later (its process exits asynchronously), so the count is read until it drops or 5 s pass.
    deadline = time.monotonic() + 5
    while _connections_named(name) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _connections_named(name) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not ON_POSTGRES, reason="the pool is PostgreSQL's")
def test_a_forked_child_opens_its_own_pool_and_leaves_the_parents_alone():
    """RQ's work horse is a fork: it must never talk on the parent's pooled sockets."""
    import os

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        parent_backend = cursor.fetchone()[0]
    pid = os.fork()
    if pid == 0:  # the child: report through the exit code only
        code = 3
        try:
            from django.db.backends.postgresql.base import DatabaseWrapper

            fresh = not DatabaseWrapper._connection_pools and connection.connection is None
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                child_backend = cursor.fetchone()[0]
            code = 0 if fresh and child_backend != parent_backend else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with connection.cursor() as cursor:  # the parent's connection is still its own and alive
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] == parent_backend
    connections.close_all()
