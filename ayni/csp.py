"""Content-Security-Policy: django-csp's middleware plus per-path policies.

The policy itself lives in the settings (``AYNI_CSP_DIRECTIVES``, enforced as
``CONTENT_SECURITY_POLICY`` or, with DEBUG, report-only). Paths listed in
``AYNI_CSP_PATH_DIRECTIVES`` (the staff back offices, whose templates come from
Wagtail and Django and use inline scripts) get some directives replaced. The
middleware sits above ``cms.cache.AnonymousPageCacheMiddleware`` so that pages
answered from the page cache carry the header too.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings


def websocket_sources(*origins: str) -> list[str]:
    """ws:// or wss:// sources for the origins given (http(s) or ws(s) URLs; empty ones skipped)."""
    sources: list[str] = []
    for origin in origins:
        parts = urlsplit(origin.strip())
        if not parts.netloc or parts.scheme not in {"http", "https", "ws", "wss"}:
            continue
        scheme = "wss" if parts.scheme in {"https", "wss"} else "ws"
        source = f"{scheme}://{parts.netloc}"
        if source not in sources:
            sources.append(source)
    return sources


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        for prefix, directives in getattr(settings, "AYNI_CSP_PATH_DIRECTIVES", ()):
            if request.path_info.startswith(prefix):
                # A view's own csp_replace decorator still wins over the path's policy.
                parts.replace = {**directives, **(parts.replace or {})}
                break
        return parts
