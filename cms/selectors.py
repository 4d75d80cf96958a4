"""Reads of the content app. Views, the API, the bot and search call these."""

from __future__ import annotations

from django.db.models import Count, Q
from django.http import HttpRequest
from wagtail.models import Page

from ayni.validators import safe_http_url
from cms.models import (
    GuideCategory,
    GuideIndexPage,
    GuidePage,
    NewsIndexPage,
    NewsPage,
    RegulationIndexPage,
    RegulationPage,
    TransparencyIndexPage,
    TransparencyPage,
)


def _guides():
    return (
        GuidePage.objects.live()
        .public()
        .select_related("category", "office")
        .order_by("category__sort_order", "category__name", "title")
    )


def guide_list(*, parent: Page | None = None, category_slug: str | None = None, online_only: bool = False) -> list:
    guides = _guides()
    if parent is not None:
        guides = guides.child_of(parent)
    if category_slug:
        guides = guides.filter(category__slug=category_slug)
    if online_only:
        guides = guides.filter(online=True)
    return list(guides)


def guide_titles(*, slugs) -> dict[str, str]:
    """``{slug: title}`` of the live, public guides among ``slugs``."""
    return dict(_guides().filter(slug__in=list(slugs)).values_list("slug", "title"))


def guide_categories_with_guides(*, parent: Page | None = None):
    live = Q(guides__live=True)
    if parent is not None:
        live &= Q(guides__path__startswith=parent.path)
    return GuideCategory.objects.annotate(guide_count=Count("guides", filter=live)).filter(guide_count__gt=0)


def guide_get(*, slug: str) -> GuidePage | None:
    return (
        GuidePage.objects.live()
        .public()
        .select_related("category", "office")
        .prefetch_related("requirements", "steps", "alternative_names", "legal_basis__regulation", "tags")
        .filter(slug=slug)
        .first()
    )


def _absolute(url: str, request: HttpRequest | None) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def guide_summary(*, page: GuidePage, request: HttpRequest | None = None) -> dict:
    return {
        "slug": page.slug,
        "title": page.title,
        "category": page.category.name if page.category else None,
        "url": _absolute(page.get_url(request=request) or "", request),
        "updated_at": page.last_published_at or page.latest_revision_created_at,
    }


def guide_detail(*, page: GuidePage, request: HttpRequest | None = None) -> dict:
    """Every typed fact of a guide: what the API returns and the bot answers from."""
    office = page.office
    return {
        **guide_summary(page=page, request=request),
        "summary": page.summary,
        "category_slug": page.category.slug if page.category else None,
        "aliases": [alias.name for alias in page.alternative_names.all()],
        "requirements": [{"text": item.text, "note": item.note} for item in page.requirements.all()],
        "cost": {"amount_bs": page.cost_amount, "text": page.cost_text},
        "duration": {"business_days": page.duration_days, "text": page.duration_text},
        "office": None
        if office is None
        else {
            "name": office.name,
            "address": office.address,
            "hours": office.hours,
            "phone": office.phone,
            "email": office.email,
            "latitude": office.latitude,
            "longitude": office.longitude,
        },
        "online": {"available": page.online, "url": safe_http_url(page.online_url)},
        "steps": [step.text for step in page.steps.all()],
        "legal_basis": [
            {
                "slug": item.regulation.slug,
                "title": item.regulation.title,
                "citation": item.regulation.citation,
                "url": _absolute(item.regulation.get_url(request=request) or "", request),
            }
            for item in page.legal_basis.all()
        ],
        "tags": sorted(tag.name for tag in page.tags.all()),
    }


def guide_jsonld(*, page: GuidePage, request: HttpRequest | None = None) -> dict:
    """schema.org GovernmentService for a guide page."""
    from django.conf import settings

    url = _absolute(page.get_url(request=request) or "", request)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "@id": url,
        "name": page.title,
        "description": page.summary,
        "url": url,
        "serviceType": page.category.name if page.category else None,
        "alternateName": [alias.name for alias in page.alternative_names.all()] or None,
        "provider": {"@type": "GovernmentOrganization", "name": settings.WAGTAIL_SITE_NAME},
        "areaServed": {"@type": "AdministrativeArea", "name": settings.WAGTAIL_SITE_NAME},
        "termsOfService": [item.text for item in page.requirements.all()] or None,
    }
    if page.cost_amount is not None or page.cost_text:
        data["offers"] = {
            "@type": "Offer",
            "price": str(page.cost_amount) if page.cost_amount is not None else None,
            "priceCurrency": "BOB",
            "description": page.cost_text or None,
        }
    channels = []
    if page.office:
        office = page.office
        place: dict = {"@type": "Place", "name": office.name, "address": office.address or None}
        if office.has_coordinates:
            place["geo"] = {
                "@type": "GeoCoordinates",
                "latitude": str(office.latitude),
                "longitude": str(office.longitude),
            }
        channels.append(
            {
                "@type": "ServiceChannel",
                "name": office.name,
                "serviceLocation": place,
                "servicePhone": {"@type": "ContactPoint", "telephone": office.phone} if office.phone else None,
                "availableLanguage": "es",
                "description": office.hours or None,
            }
        )
    if page.online and safe_http_url(page.online_url):
        channels.append({"@type": "ServiceChannel", "name": "En línea", "serviceUrl": page.online_url})
    if channels:
        data["availableChannel"] = channels
    return _drop_empty(data)


def _drop_empty(value):
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value]
    return value


def regulation_list(*, parent: Page | None = None, reg_type: str | None = None, year: int | None = None):
    regulations = RegulationPage.objects.live().public().order_by("-date", "title")
    if parent is not None:
        regulations = regulations.child_of(parent)
    if reg_type:
        regulations = regulations.filter(reg_type=reg_type)
    if year:
        regulations = regulations.filter(date__year=year)
    return regulations


def regulation_years(*, parent: Page | None = None) -> list[int]:
    dates = regulation_list(parent=parent).dates("date", "year", order="DESC")
    return [d.year for d in dates]


def transparency_list(*, parent: Page | None = None, category: str | None = None):
    pages = TransparencyPage.objects.live().public().order_by("category", "-year", "title")
    if parent is not None:
        pages = pages.child_of(parent)
    if category:
        pages = pages.filter(category=category)
    return pages.prefetch_related("documents__document")


def news_list(*, parent: Page | None = None):
    news = NewsPage.objects.live().public().order_by("-date", "-pk")
    if parent is not None:
        news = news.child_of(parent)
    return news


def home_sections(*, home: Page) -> dict:
    """What the home page shows: guides by category, latest news, entry points."""
    guide_index = GuideIndexPage.objects.live().descendant_of(home).first()
    guides = guide_list(parent=guide_index) if guide_index else []
    groups: dict = {}
    for guide in guides:
        groups.setdefault(guide.category, []).append(guide)
    return {
        "guide_index": guide_index,
        "guide_groups": list(groups.items()),
        "latest_news": list(news_list().descendant_of(home)[:3]),
        "news_index": NewsIndexPage.objects.live().descendant_of(home).first(),
        "regulation_index": RegulationIndexPage.objects.live().descendant_of(home).first(),
        "transparency_index": TransparencyIndexPage.objects.live().descendant_of(home).first(),
    }
