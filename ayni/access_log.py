"""The portal's own access log: method, path, status and duration, never a client address.

The ASGI server runs with its access log off (``ayni.server``), wherever it
runs (``make run``, the Dockerfile, docker-compose): daphne's log line holds the
client's address and port next to the full path, which for a tracking lookup
or a denuncia ties the person to the case. This middleware, first in
``MIDDLEWARE``, writes the access log instead, on the ``ayni.access`` logger:

- no client address, user agent, referrer, cookie or session, ever;
- no query string (it can hold a search, a tracking code or a token);
- paths of participation, accounts, the complaints and chat API and the
  webhooks are reduced to the name of the route they matched
  (``participation:tracking``), so no tracking code, id or token is written.
"""

from __future__ import annotations

import logging
import re
import time

from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger("ayni.access")

# Optional language prefix (i18n_patterns), then the paths that can name a person or a case.
SENSITIVE_PATH = re.compile(
    r"^/(?:[a-z]{2}(?:-[a-z]{2,4})?/)?(?P<section>participa|cuentas)(?:/|$)"
    r"|^/(?P<api>api/(?:complaints|chat))(?:/|$)"
    r"|^/(?P<hooks>webhooks)(?:/|$)"
)


def loggable_path(request: HttpRequest) -> str:
    """The request's path as the access log may write it (no query string; sensitive ones by route name)."""
    path = request.path
    found = SENSITIVE_PATH.match(path)
    if not found:
        return path
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name:
        return f"[{match.view_name}]"
    if match is not None and match.route:
        return "[" + re.sub(r"<[^>]*>", "…", match.route) + "]"
    return f"[/{found['section'] or found['api'] or found['hooks']}/…]"


# Filing and following a case leave no line at all (unless the server failed):
# the exact moment of a denuncia could be matched against a log kept elsewhere
# (a reverse proxy's, a telecom's), which is why the case itself keeps only its day.
UNLOGGED_ROUTES = frozenset(
    {
        "participation:complaint_form",
        "participation:tracking",
        "api:complaint_create",
        "api:complaint_track",
        "api:complaint_track_get_gone",
    }
)


def unlogged(request: HttpRequest, status: int) -> bool:
    match = getattr(request, "resolver_match", None)
    return status < 500 and match is not None and match.view_name in UNLOGGED_ROUTES


class AccessLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.monotonic()
        response = self.get_response(request)
        if logger.isEnabledFor(logging.INFO) and not unlogged(request, response.status_code):
            logger.info(
                '"%s %s" %s %.0fms',
                request.method,
                loggable_path(request),
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
        return response
