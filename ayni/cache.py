"""The cache backends: with Redis, a dead Redis makes the portal slower, never broken;
on the embedded default, a disk cache shared by the processes (``SharedDiskCache``).

Everything the portal keeps in the cache can be lost: rendered pages (rendered
again), rate-limit and visit counters, login-failure counts (django-axes), the
content generation of the page cache. So when Redis cannot be reached, every
call answers as if the key were missing and nothing were stored (``get`` gives
the default, ``add`` False, ``incr`` the delta, as for a counter just created),
and the request goes on: pages render uncached and rate limits and login
throttling let requests through (fail open).

One WARNING line per outage and process (the error's class only: no key, no
client data, no URL, which may carry Redis's password), one INFO line when Redis
answers again. After a failure the backend does not call Redis for
``RETRY_SECONDS``, so that a Redis that hangs instead of refusing costs one
socket timeout (``OPTIONS`` in ayni/settings/redis.py) every few seconds, not
one per cache call.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import queue
import sqlite3
import threading
import time

import diskcache
from diskcache import DjangoCache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from redis import exceptions as redis_errors

logger = logging.getLogger(__name__)

# Redis unreachable, too slow, loading, read-only after a failover, out of memory,
# or something else answering on its port. Other errors are bugs and propagate.
UNAVAILABLE = (
    redis_errors.ConnectionError,
    redis_errors.TimeoutError,
    redis_errors.InvalidResponse,
    redis_errors.ReadOnlyError,
    redis_errors.OutOfMemoryError,
)
RETRY_SECONDS = 5.0

# Per process (Django makes a backend instance per thread): servers -> monotonic time until which Redis is skipped.
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def reset() -> None:
    """Forget every outage (tests)."""
    with _lock:
        _down_until.clear()


def _first_count(key, delta=1, version=None):
    return delta  # as if the counter had just been created: a rate limit never refuses


def _fail_open(name: str, fallback):
    """RedisCache's method ``name``, answering ``fallback(*args)`` while Redis is unavailable."""
    base = getattr(RedisCache, name)

    @functools.wraps(base)
    def method(self, *args, **kwargs):
        if self._skipping():
            return fallback(*args, **kwargs)
        try:
            result = base(self, *args, **kwargs)
        except UNAVAILABLE as exc:
            self._down(exc)
            return fallback(*args, **kwargs)
        self._up()
        return result

    return method


class FailOpenRedisCache(RedisCache):
    """Django's RedisCache that answers "missing" / "not stored" while Redis is unavailable."""

    add = _fail_open("add", lambda *args, **kwargs: False)
    get = _fail_open("get", lambda key, default=None, version=None: default)
    set = _fail_open("set", lambda *args, **kwargs: None)
    touch = _fail_open("touch", lambda *args, **kwargs: False)
    delete = _fail_open("delete", lambda *args, **kwargs: False)
    get_many = _fail_open("get_many", lambda *args, **kwargs: {})
    has_key = _fail_open("has_key", lambda *args, **kwargs: False)
    incr = _fail_open("incr", _first_count)
    set_many = _fail_open("set_many", lambda data, *args, **kwargs: list(data))  # the keys not stored
    delete_many = _fail_open("delete_many", lambda *args, **kwargs: None)
    clear = _fail_open("clear", lambda *args, **kwargs: False)

    @property
    def _outage_key(self) -> str:
        return "|".join(self._servers)

    def _skipping(self) -> bool:
        until = _down_until.get(self._outage_key)
        return until is not None and time.monotonic() < until

    def _down(self, exc: Exception) -> None:
        key = self._outage_key
        with _lock:
            first = key not in _down_until
            _down_until[key] = time.monotonic() + RETRY_SECONDS
        if first:
            logger.warning("cache unavailable (%s): serving without it until it answers again", type(exc).__name__)

    def _up(self) -> None:
        key = self._outage_key
        if key in _down_until:
            with _lock:
                was_down = _down_until.pop(key, None) is not None
            if was_down:
                logger.info("cache available again")


class _PooledShard(diskcache.Cache):
    """A diskcache shard whose SQLite connections outlive the threads that use them.

    diskcache keeps one connection per thread. Under ASGI, Django runs each
    request's synchronous code on a thread of its own (asgiref's
    ThreadSensitiveContext), so every request opened its connections again
    (about 10 ms of a cached page's 13). Here a thread takes a connection from
    the process's pool on first use and gives it back when Django closes the
    cache at the end of the request; a connection is only ever used by one
    thread at a time.
    """

    def _pool(self) -> queue.SimpleQueue:
        pid = os.getpid()
        if getattr(self, "_ayni_pool_pid", None) != pid:  # new process (fork): never share its parent's
            self._ayni_pool = queue.SimpleQueue()
            self._ayni_pool_pid = pid
        return self._ayni_pool

    @property
    def _con(self):
        pid = os.getpid()
        con = getattr(self._local, "con", None)
        if con is not None and getattr(self._local, "pid", None) == pid:
            return con
        pool = self._pool()
        try:
            con = pool.get_nowait()
        except queue.Empty:
            con = sqlite3.connect(
                os.path.join(self._directory, diskcache.core.DBNAME),
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            self._local.con, self._local.pid = con, pid
            # diskcache's per-connection pragmas, as its own connections get them.
            with contextlib.suppress(sqlite3.OperationalError):
                for key, value in con.execute("SELECT key, value FROM Settings").fetchall():
                    if key.startswith("sqlite_"):
                        self.reset(key, value, update=False)
        self._local.con, self._local.pid = con, pid
        return con

    def close(self):
        con = getattr(self._local, "con", None)
        if con is None:
            return
        del self._local.con
        if getattr(self._local, "pid", None) == os.getpid():
            self._pool().put(con)
        else:
            con.close()


_FANOUTS: dict[tuple, diskcache.FanoutCache] = {}
_FANOUTS_LOCK = threading.Lock()


def _shared_fanout(directory: str, shards: int, timeout: float, options: dict) -> diskcache.FanoutCache:
    """One FanoutCache per directory and process, whatever the number of threads."""
    key = (os.getpid(), directory, shards, timeout, tuple(sorted(options.items())))
    with _FANOUTS_LOCK:
        fanout = _FANOUTS.get(key)
        if fanout is None:
            fanout = _FANOUTS[key] = diskcache.FanoutCache(directory, shards, timeout, **options)
            for shard in fanout._shards:
                diskcache.Cache.close(shard)  # the connection __init__ opened is this thread's only
                shard.__class__ = _PooledShard
        return fanout


class SharedDiskCache(DjangoCache):
    """The embedded default's cache: diskcache's Django backend, shared by every process.

    Django keeps one cache object per thread, and under ASGI every request has a
    thread of its own: diskcache's own backend opened its shards again (tables
    checked, pragmas set) for each request, about 10 ms of a cached page's 13.
    Here every cache object of a process uses the same shards
    (``_shared_fanout``), whose SQLite connections are pooled (``_PooledShard``):
    Django closes the cache at the end of each request, which gives the thread's
    connections back to the pool instead of closing them.
    """

    def __init__(self, directory, params):
        BaseCache.__init__(self, params)
        options = params.get("OPTIONS", {})
        self._cache = _shared_fanout(directory, params.get("SHARDS", 8), params.get("DATABASE_TIMEOUT", 0.010), options)
