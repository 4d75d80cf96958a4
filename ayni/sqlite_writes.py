"""Short writes on the embedded SQLite database that wait for the write lock by polling it.

SQLite lets one connection write at a time. A connection that finds the lock
taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 … up to 100 ms
between tries: under a burst of chat answers (each one writes the
conversation's state and its log line) a writer that arrives while others
keep writing waits in those growing sleeps and retakes the lock only in a gap
it happens to hit, so the slowest answers waited ten times longer than the
write itself. ``atomic_polling`` runs the block in a transaction whose
``BEGIN IMMEDIATE`` (``transaction_mode`` in ``ayni.settings.database``) asks
for the lock every ``POLL`` seconds instead, up to Django's own SQLite timeout.
The lock is taken at ``BEGIN``, before the block runs, so a refused try has
written nothing and is simply tried again. Other databases (PostgreSQL) and a
block already inside a transaction run as ``transaction.atomic()`` would.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections, transaction

POLL = 0.001
T = TypeVar("T")


def atomic_polling(function: Callable[[], T], *, using: str = DEFAULT_DB_ALIAS) -> T:
    """``function()`` in one transaction; on SQLite, the write lock polled for (see the module)."""
    connection = connections[using]
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic(using=using):
            return function()
    wait = float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5))
    deadline = time.monotonic() + wait
    connection.ensure_connection()
    raw = connection.connection
    raw.execute("PRAGMA busy_timeout = 0")
    try:
        while True:
            try:
                with transaction.atomic(using=using):
                    return function()
            except OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            time.sleep(POLL)
    finally:
        if connection.connection is raw:  # still open: SQLite's own wait again for everything else
            raw.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
