"""DATABASE_URL, default: a SQLite file under var/.

Connections never pile up, whatever the burst:

- ``CONN_MAX_AGE`` is 0 for PostgreSQL in every process. The portal's web
  process is always an ASGI server (``ayni.server``, which ``make run``, the
  Dockerfile and compose all start): under ASGI each request's synchronous code
  runs on a thread of its own (asgiref's ThreadSensitiveContext), so a
  "persistent" connection stays open in a thread that never serves again.
  With ``CONN_MAX_AGE=60`` a webhook burst held 99 of PostgreSQL's 100
  connections. Django's advice for ASGI is the same: no persistent
  connections, use the backend's pool. Django closes the connection when each
  request (and each task, and each websocket database call) ends.
- On PostgreSQL, psycopg's pool (Django's ``OPTIONS["pool"]``) keeps at most
  ``DATABASE_POOL_MAX_SIZE`` connections per process and hands them out per
  request: a burst waits for a free connection (up to
  ``DATABASE_POOL_TIMEOUT`` seconds) instead of opening one per request, and
  closing a connection returns it to the pool. Size PostgreSQL's
  ``max_connections`` for (web processes + worker processes) x the pool size,
  plus a few for administration. ``DATABASE_POOL_MAX_SIZE=0`` switches the pool
  off (then each request opens and closes its own connection).
- SQLite (the embedded default) is a file, not a server: a connection holds no
  server slot, and opening one costs more than the query (the connection, its
  pragmas and, when it was the file's last connection, closing it checkpoints
  the write-ahead log and removes it: some 7 ms of a 10 ms chat answer). Its
  connections are persistent (``CONN_MAX_AGE=None``), one per thread that
  touches the database: the server's request threads are a bounded pool of
  long-lived threads (``ayni.handler.PooledASGIHandler``; the chat's answers and
  the websockets' calls run on asgiref's bounded executors), so their number
  is bounded too; a connection left in an unusable state is closed at the end
  of its request as usual.
"""

from __future__ import annotations

import os

import dj_database_url

from ayni.env import VAR_DIR, env, env_int

POSTGRESQL = "django.db.backends.postgresql"


def database_config(url: str, *, pool_max_size: int = 8, pool_timeout: int = 10) -> dict:
    """The ``DATABASES["default"]`` entry for ``url`` (what the settings below produce)."""
    config = dj_database_url.parse(url, conn_max_age=0)
    config["CONN_MAX_AGE"] = 0  # see the module's docstring: never persistent under ASGI
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Kept open by each of the process's long-lived threads (see the module's docstring).
        config["CONN_MAX_AGE"] = None
        # WAL lets the web server and the task worker share the file.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif config["ENGINE"] == POSTGRESQL and pool_max_size > 0:
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": pool_max_size,
            "timeout": max(1, pool_timeout),
        }
    return config


def _forget_inherited_pools() -> None:
    """In a forked child (RQ's work horse, a pre-forking server's worker): start without the parent's pool.

    The inherited pool's sockets and threads belong to the parent: the child
    drops them without closing anything (psycopg closes a connection only in the
    process that opened it) and opens its own pool on first use.
    """
    try:
        from django.db import connections
        from django.db.backends.postgresql.base import DatabaseWrapper
    except Exception:  # noqa: BLE001 - psycopg or Django not importable: nothing was inherited
        return
    DatabaseWrapper._connection_pools.clear()
    for conn in connections.all(initialized_only=True):
        conn.connection = None


DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'ayni.sqlite3'}"
DATABASE_POOL_MAX_SIZE = env_int("DATABASE_POOL_MAX_SIZE", 8)
DATABASE_POOL_TIMEOUT = env_int("DATABASE_POOL_TIMEOUT", 10)
DATABASES = {
    "default": database_config(DATABASE_URL, pool_max_size=DATABASE_POOL_MAX_SIZE, pool_timeout=DATABASE_POOL_TIMEOUT)
}
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    os.register_at_fork(after_in_child=_forget_inherited_pools)
