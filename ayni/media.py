"""``/media/``: only the files that are public by nature.

MEDIA_ROOT holds Wagtail images (public: Wagtail has no view restriction on
image files) and Wagtail documents (which may sit in a private collection).
Documents are served only by Wagtail's document view (``/documentos/<id>/<name>``,
``WAGTAILDOCS_SERVE_METHOD = "serve_view"``), which checks collection privacy;
dataset files live in a private storage outside MEDIA_ROOT and are served by
the opendata download view. This view answers 404 for every path outside
``AYNI_MEDIA_PUBLIC_PREFIXES``, in DEBUG and in production alike. A reverse
proxy that serves ``/media/`` itself must apply the same allow-list.
"""

from __future__ import annotations

import posixpath
import re

from django.conf import settings
from django.http import Http404
from django.urls import re_path
from django.views.static import serve


def is_public_media(path: str) -> bool:
    """``path`` (relative to MEDIA_ROOT, as in the URL) is under an allowed prefix, with no way out of it."""
    if not path or "\\" in path or "\x00" in path:
        return False
    normalised = posixpath.normpath(path).lstrip("/")
    if normalised != path.lstrip("/") or normalised.startswith(".."):
        return False
    return any(normalised.startswith(prefix) for prefix in settings.AYNI_MEDIA_PUBLIC_PREFIXES)


def public_media(request, path: str):
    if not is_public_media(path):
        raise Http404
    response = serve(request, path, document_root=settings.MEDIA_ROOT)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def media_urlpatterns() -> list:
    prefix = settings.MEDIA_URL.lstrip("/")
    if not prefix or "://" in settings.MEDIA_URL:
        return []  # media on another host: nothing to serve here
    return [re_path(rf"^{re.escape(prefix)}(?P<path>.*)$", public_media, name="public_media")]
