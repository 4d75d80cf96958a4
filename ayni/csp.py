"""Content-Security-Policy: django-csp's middleware plus per-path policies.

The policy itself lives in the settings (``AYNI_CSP_DIRECTIVES``, enforced as
``CONTENT_SECURITY_POLICY`` or, with DEBUG, report-only). Paths listed in
``AYNI_CSP_PATH_DIRECTIVES`` (the staff back offices, whose templates come from
Wagtail and Django and use inline scripts) get some directives replaced. While
sign-in with an OpenID Connect provider is on, ``form-action`` also allows the
provider's origin (the sign-out form ends there). The
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


def sign_in_provider_sources() -> list[str]:
    """The OpenID Connect provider's origin while sign-in with it is on (ayni/settings/oidc.py).

    Signing out posts a form to the portal, which answers with a redirect to the
    provider's end of session (RP-initiated logout); browsers hold a form's
    redirects to ``form-action`` too, so without it the sign-out stops there.
    """
    if not getattr(settings, "OIDC_ENABLED", False):
        return []
    parts = urlsplit(getattr(settings, "OIDC_ISSUER", "") or "")
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc}"]


class PortalCSPMiddleware(CSPMiddleware):
    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        provider = sign_in_provider_sources()
        if provider:
            update = dict(parts.update or {})
            update["form-action"] = [*update.get("form-action", []), *provider]
            parts.update = update
        for prefix, directives in getattr(settings, "AYNI_CSP_PATH_DIRECTIVES", ()):
            if request.path_info.startswith(prefix):
                # A view's own csp_replace decorator still wins over the path's policy.
                parts.replace = {**directives, **(parts.replace or {})}
                break
        return parts
