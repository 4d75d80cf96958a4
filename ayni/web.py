"""Web basics served outside the page tree: robots.txt, the favicon and the sitemap (the manifest: cms.views)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from wagtail.contrib.sitemaps.sitemap_generator import Sitemap

# Staff back offices, API machinery and per-visitor pages are not for search engines.
ROBOTS_DISALLOW = (
    "/admin/",
    "/django-admin/",
    "/api/",
    "/i18n/",
    "/jsi18n/",
    "/webhooks/",
    "/tramites-opinion/",
    "/cuentas/",
    "/en/cuentas/",
    "/participa/notificaciones/",
    "/en/participa/notificaciones/",
)


def page_absolute_url(page, request) -> str:
    """The page's full address on the host this request came to (scheme and host as the visitor sees them).

    Wagtail's ``get_full_url`` uses the Site record's hostname and port, which a
    fresh install leaves at ``localhost:80``; ``get_url`` is relative when the page
    belongs to the request's site (and a full URL on another site's host otherwise).
    """
    url = page.get_url(request)
    return request.build_absolute_uri(url) if url else ""


def _on_request_host(location: str, page, request) -> str:
    """``location`` (built on the Site record's host) moved to the host of ``request``."""
    full = page.get_full_url(request)
    if full and location.startswith(full):
        return page_absolute_url(page, request) + location[len(full) :]
    return location


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request):
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), ""]
    lines.append(f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}")
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
@cache_control(max_age=86400, public=True)
def favicon(request):
    # Temporary: the target's name carries the file's hash, which changes with the icon
    # (a cached permanent redirect would lead browsers to a file a later deploy removed).
    return redirect(static("favicon.ico"))


class PortalSitemap(Sitemap):
    """Every live public page of the site in every language, with its translations as hreflang alternates."""

    def items(self):
        from wagtail.models import Page

        root = self.get_wagtail_site().root_page
        query = None
        for localized_root in root.get_translations(inclusive=True):
            branch = Page.objects.descendant_of(localized_root, inclusive=True)
            query = branch if query is None else query | branch
        return query.live().public().order_by("path").defer_streamfields().specific()

    def _urls(self, page, protocol, domain):
        from wagtail.models import Page

        urls = []
        last_mods = set()
        items = list(self.paginator.page(page).object_list)
        # Every translation of the listed pages in one query (not one per page).
        translations = {}
        for translation in (
            Page.objects.filter(translation_key__in={item.translation_key for item in items})
            .live()
            .public()
            .select_related("locale")
            .order_by("locale__language_code")
        ):
            translations.setdefault(translation.translation_key, []).append(translation)
        for item in items:
            alternates = [
                {"lang_code": t.locale.language_code, "location": page_absolute_url(t, self.request)}
                for t in translations.get(item.translation_key, [])
            ]
            for url_info in item.get_sitemap_urls(self.request):
                url_info = {**url_info, "location": _on_request_host(url_info["location"], item, self.request)}
                if len(alternates) > 1:
                    url_info = {**url_info, "alternates": alternates}
                urls.append(url_info)
                last_mods.add(url_info.get("lastmod"))
        if last_mods and None not in last_mods:
            self.latest_lastmod = max(last_mods)
        return urls
