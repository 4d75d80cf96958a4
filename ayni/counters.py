"""Atomic counters in the shared cache (LocMem, or Redis when REDIS_URL is set)."""

from django.core.cache import cache


def cache_increment(key: str, *, timeout: int | None) -> int:
    """Add one to ``key`` (created at 0 with ``timeout``) and return the new value."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired or evicted between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
