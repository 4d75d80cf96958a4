"""Atomic counters in the shared cache (on disk, or Redis when REDIS_URL is set).

With Redis unreachable the cache backend (``ayni.cache``) fails open: every
count reads as the first one, so rate limits let requests through instead of
answering 500, and the outage is logged once.
"""

from django.core.cache import cache


def cache_increment(key: str, *, timeout: int | None) -> int:
    """Add one to ``key`` (created at 0 with ``timeout``) and return the new value."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired or evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
