"""Fixed-window rate limits on the shared cache counters.

Keys come from :mod:`ayni.clients` (client address) or from another one-way
key (a chat sender's hash); never from something the client can vary freely.
With Redis down the limits fail open (``ayni.counters``).
"""

from __future__ import annotations

from ayni.counters import cache_increment


class RateLimited(Exception):
    """The client sent too many requests in the current window."""


def hit(*, scope: str, key: str, limit: int, window: int) -> None:
    """Count one request of ``key`` in ``scope``; raise RateLimited over ``limit``."""
    if cache_increment(f"ayni:rl:{scope}:{key}", timeout=window) > limit:
        raise RateLimited(scope)
