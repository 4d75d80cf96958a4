"""Work a server process does once, before it takes its first request.

Each app registers what its first request would otherwise pay for (an index
built from the database, caches read from the shared cache) in its
``AppConfig.ready()``::

    warmup.register("chatbot.guides", services.answerer_warm)

The HTTP server's worker (``ayni.server.AyniWorker``) and the task worker
(``ayni.rq_worker``) call ``run()`` after loading the application, before they
accept work. A warmer that fails is logged and skipped: it never keeps a
process from starting. The database connections it opened are closed, since
requests run on other threads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)

_warmers: dict[str, Callable[[], object]] = {}


def register(name: str, function: Callable[[], object]) -> None:
    """Run ``function()`` in every server process before its first request (idempotent by name)."""
    _warmers[name] = function


def registered() -> list[str]:
    return list(_warmers)


def run() -> dict[str, float]:
    """Run every warmer; returns the milliseconds each took (failed ones are left out)."""
    from django.db import connections

    took: dict[str, float] = {}
    try:
        for name, function in list(_warmers.items()):
            started = time.perf_counter()
            try:
                function()
            except Exception:  # a cold cache is slower, never a reason not to serve
                logger.warning("warm-up %s failed; the first request will do it", name, exc_info=True)
                continue
            took[name] = (time.perf_counter() - started) * 1000
    finally:
        for connection in connections.all(initialized_only=True):
            if not connection.in_atomic_block:  # a caller's transaction (a test's) keeps its connection
                connection.close()
    return took
