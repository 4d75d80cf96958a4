"""GET /health/: ok or degraded; which check failed only for signed-in staff.

The public answer is ``{"status": "ok"}`` (200) or ``{"status": "degraded"}``
(503): no database vendor, no error class, nothing an attacker could use to
fingerprint the stack. Authenticated staff also get ``checks`` with each
component's state and the error's class. The view never fails itself: a down
Redis (sessions or cache) cannot turn it into a 500.

Redis down is "degraded" (503, so that monitoring sees it), not broken: the
portal keeps serving pages uncached and rate limits fail open (ayni.cache),
but the Redis task queue and live counts wait for it.
"""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}


def redis_status() -> dict:
    """Whether Redis answers a PING now (``{"ok": …}``, with the error's class when not).

    Also what ``manage.py worker`` waits for before it starts the queue's worker.
    """
    import redis

    timeout = getattr(settings, "REDIS_SOCKET_TIMEOUT", 1.0)
    client = None
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
        return {"ok": True}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}
    finally:
        if client is not None:
            client.close()  # no connection left behind per probe


def _is_staff(request) -> bool:
    # The session may live in a cache that is down: then nobody is staff here.
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_staff)
    except Exception:  # noqa: BLE001
        return False


@never_cache
@require_GET
def health(request):
    checks = {"database": _database()}
    if settings.REDIS_URL:
        checks["redis"] = redis_status()
    ok = all(check["ok"] for check in checks.values())
    body = {"status": "ok" if ok else "degraded"}
    if _is_staff(request):
        body["checks"] = checks
    return JsonResponse(body, status=200 if ok else 503)
