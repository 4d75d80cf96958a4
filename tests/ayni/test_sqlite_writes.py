"""``ayni.sqlite_writes.atomic_polling``: a short write on SQLite waits for the write lock by polling it,
writes once, and gives up with SQLite's own error after Django's timeout."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from django.db import OperationalError, connections

from ayni.sqlite_writes import atomic_polling

ALIAS = "sqlite_writes_test"


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    path = tmp_path / "locks.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE line (n INTEGER)")
    connections.settings[ALIAS] = {
        **connections.settings["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(path),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 0.5},
        "TEST": {},
    }
    try:
        with django_db_blocker.unblock():  # a database of its own, not the test database
            yield path
    finally:
        if ALIAS in connections:
            connections[ALIAS].close()
            del connections[ALIAS]
        del connections.settings[ALIAS]


def _hold_lock(path, seconds: float, taken: threading.Event) -> None:
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    taken.set()
    time.sleep(seconds)
    other.execute("COMMIT")
    other.close()


def _insert() -> int:
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("INSERT INTO line (n) VALUES (1)")
    return 1


def _count(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM line").fetchone()[0]


def test_a_write_waits_for_the_lock_and_is_written_once(sqlite_file):
    taken = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(sqlite_file, 0.15, taken))
    holder.start()
    taken.wait(2)
    started = time.monotonic()
    assert atomic_polling(_insert, using=ALIAS) == 1
    waited = time.monotonic() - started
    holder.join()
    assert waited >= 0.1  # it did wait for the other writer (a lower bound, never a speed claim)
    assert _count(sqlite_file) == 1
    # Everything else on this connection waits in SQLite's own busy handler again.
    with connections[ALIAS].cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 500


def test_a_lock_held_past_the_timeout_gives_sqlites_error_and_writes_nothing(sqlite_file):
    taken = threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(sqlite_file, 1.2, taken))
    holder.start()
    taken.wait(2)
    with pytest.raises(OperationalError, match="locked"):
        atomic_polling(_insert, using=ALIAS)
    holder.join()
    assert _count(sqlite_file) == 0


def test_other_errors_are_not_retried(sqlite_file):
    calls = []

    def broken():
        calls.append(1)
        with connections[ALIAS].cursor() as cursor:
            cursor.execute("INSERT INTO missing_table VALUES (1)")

    with pytest.raises(OperationalError, match="no such table"):
        atomic_polling(broken, using=ALIAS)
    assert calls == [1]
