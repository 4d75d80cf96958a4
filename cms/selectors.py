"""Reads of the content app. Views, the API, the bot and search call these."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Length, Substr
from django.http import HttpRequest
from wagtail.models import Locale, Page, PageViewRestriction

from ayni.validators import safe_http_url
from cms.models import (
    GuideCategory,
    GuideIndexPage,
    GuideLegalBasis,
    GuidePage,
    NewsIndexPage,
    NewsPage,
    PortalSettings,
    RegulationIndexPage,
    RegulationPage,
    TransparencyDocument,
    TransparencyIndexPage,
    TransparencyPage,
)
from cms.models.settings import SOCIAL_NETWORKS

logger = logging.getLogger(__name__)

# Query budget: a page is served in a small, fixed number of queries, whatever
# the number of guides, news or regulations it lists (tests/cms/test_query_counts.py).
# Lists join what each item shows (select_related) and fetch the children of all
# items at once (prefetch_related); nothing is read per item.


def _public(pages):
    """``pages.public()`` inside the same query.

    Wagtail's ``public()`` first reads every view restriction (one query each
    time it is called); this excludes, in SQL, the pages at or below a page
    with a restriction (its path is a prefix of theirs).
    """
    restricted = PageViewRestriction.objects.filter(page__path=Substr(OuterRef("path"), 1, Length("page__path")))
    return pages.exclude(Exists(restricted))


def _with_guide_facts(guides):
    """Everything a guide page, the API and the bot show of each guide, in one query per relation."""
    return guides.select_related("category", "office", "locale").prefetch_related(
        "alternative_names",
        "requirements",
        "steps",
        Prefetch("legal_basis", queryset=GuideLegalBasis.objects.select_related("regulation")),
        "tags",
    )


def _documents() -> Prefetch:
    """A report's documents with their files, in one query for all the reports."""
    return Prefetch("documents", queryset=TransparencyDocument.objects.select_related("document"))


def _serving_queryset(model):
    """``model``'s pages with what their own template shows (``page_child_for_serving``)."""
    if model is GuidePage:
        return _with_guide_facts(GuidePage.objects.all())
    if model is RegulationPage:
        return RegulationPage.objects.select_related("locale", "document", "status_by")
    if model is TransparencyPage:
        return TransparencyPage.objects.select_related("locale").prefetch_related(_documents())
    return model._default_manager.select_related("locale")


def page_child_for_serving(*, parent: Page, slug: str, model=None) -> Page | None:
    """The child ``slug`` of ``parent`` as its specific page, ready to render.

    Routing calls this for each step of a URL. With ``model`` (the one page type
    the parent's children have) it is one query plus the prefetches of that type;
    otherwise two, like Wagtail's own routing (the type, then the page), but with
    the relations the page's template shows. ``None`` when no such child exists.
    """
    if model is not None:
        return _serving_queryset(model).child_of(parent).filter(slug=slug).first()
    found = Page.objects.child_of(parent).filter(slug=slug).values_list("pk", "content_type_id").first()
    if found is None:
        return None
    model = ContentType.objects.get_for_id(found[1]).model_class()
    if model is None:  # a page type that no longer exists in the code
        return None
    return _serving_queryset(model).filter(pk=found[0]).first()


def _guides():
    return _public(
        GuidePage.objects.live()
        .select_related("category", "office")
        .order_by("category__sort_order", "category__name", "title")
    )


def _default_language(guides):
    """Guides in the site's default language (the Spanish originals; their translations are their own pages)."""
    return guides.filter(locale__language_code=settings.LANGUAGE_CODE)


# --- Offices and guide categories in a language ---------------------------------------
# Both are translatable snippets: a translation is its own row (same translation key,
# another locale). What is shown reads them through these, in the page's or the active
# language, falling back to the original where there is no translation.


def locale_id_for(language: str | None = None) -> int | None:
    """The id of ``language``'s locale (the active language's by default), or the default locale's."""
    locale = None
    try:
        locale = Locale.get_active() if language is None else Locale.objects.get_for_language(language)
    except (Locale.DoesNotExist, LookupError):
        locale = Locale.objects.filter(language_code=settings.LANGUAGE_CODE).first()
    return locale.pk if locale is not None else None


def localized(objects: list, locale_id: int | None) -> list:
    """Each of ``objects`` (offices or categories; None stays None) in the locale ``locale_id``:
    its translation there, or itself when it has none. One query at most, none when all are in it."""
    others = [obj for obj in objects if obj is not None and obj.locale_id != locale_id]
    if not others or locale_id is None:
        return list(objects)
    model = type(others[0])
    keys = {obj.translation_key for obj in others}
    rows = model.objects.filter(translation_key__in=keys, locale_id=locale_id)
    translated = {obj.translation_key: obj for obj in rows}
    return [None if obj is None else translated.get(obj.translation_key, obj) for obj in objects]


def guide_category(*, page: GuidePage):
    """The guide's category in the guide's language (or the original), or None."""
    return localized([page.category], page.locale_id)[0] if page.category_id else None


def guide_office(*, page: GuidePage):
    """The guide's office in the guide's language (or the original), or None."""
    return localized([page.office], page.locale_id)[0] if page.office_id else None


def guides_by_category(guides: list, *, locale_id: int | None) -> list[tuple]:
    """``[(category, [guide, ...]), ...]`` in the guides' order, each category in the locale
    ``locale_id``; a category and its translation are one group (None: the guides without one)."""
    categories = localized([guide.category for guide in guides], locale_id)
    heads: dict = {}
    groups: dict = {}
    for guide, category in zip(guides, categories, strict=True):
        key = category.translation_key if category is not None else None
        heads.setdefault(key, category)
        groups.setdefault(key, []).append(guide)
    return [(heads[key], items) for key, items in groups.items()]


def guide_list(*, parent: Page | None = None, category_slug: str | None = None, online_only: bool = False) -> list:
    """The live public guides under ``parent`` (in its language), or every original guide without one."""
    guides = _guides()
    guides = guides.child_of(parent) if parent is not None else _default_language(guides)
    if category_slug:
        guides = guides.filter(category__slug=category_slug)
    if online_only:
        guides = guides.filter(online=True)
    return list(guides)


def guide_titles(*, slugs) -> dict[str, str]:
    """``{slug: title}`` of the live, public guides among ``slugs``."""
    return dict(_guides().filter(slug__in=list(slugs)).values_list("slug", "title"))


def guide_categories_with_guides(*, parent: Page | None = None, language: str | None = None) -> list:
    """The categories with live guides under ``parent`` (every original guide without one), in the
    CMS's order, each with its ``guide_count``: in ``parent``'s language, or ``language`` (the
    active one by default) without a parent; a category without translation shows the original.
    The slug is the same in every language (the guide index's filter, the bot's menu payloads)."""
    live = Q(guides__live=True)
    if parent is not None:
        live &= Q(guides__path__startswith=parent.path)
    else:
        live &= Q(guides__locale__language_code=settings.LANGUAGE_CODE)
    # The CMS's order (sort order, then the original's name) in every language: a GROUP BY query has
    # no order of its own, and a translation's name would sort it differently.
    original_name = GuideCategory.objects.filter(
        translation_key=OuterRef("translation_key"), locale__language_code=settings.LANGUAGE_CODE
    ).values("name")[:1]
    counted = list(
        GuideCategory.objects.annotate(guide_count=Count("guides", filter=live), original_name=Subquery(original_name))
        .filter(guide_count__gt=0)
        .order_by("sort_order", "original_name", "name")
    )
    locale_id = parent.locale_id if parent is not None else locale_id_for(language)
    merged: dict = {}
    for original, category in zip(counted, localized(counted, locale_id), strict=True):
        found = merged.get(category.translation_key)
        if found is None:
            category.guide_count = original.guide_count
            merged[category.translation_key] = category
        else:  # guides of one category pointing at the original and at its translation
            found.guide_count += original.guide_count
    return list(merged.values())


def guide_get(*, slug: str, language: str | None = None) -> GuidePage | None:
    """The live public guide ``slug``. With ``language``: ``slug`` is an original guide's (the
    default language's, what the bot and its buttons name) and the page is its live translation
    in ``language`` when it has one, else the original."""
    guides = _with_guide_facts(_public(GuidePage.objects.live()))
    if not language:
        return guides.filter(slug=slug).first()
    page = _default_language(guides).filter(slug=slug).first() or guides.filter(slug=slug).first()
    if page is None or page.locale.language_code == language:
        return page
    return guides.filter(translation_key=page.translation_key, locale__language_code=language).first() or page


def guide_originals(*, slugs) -> dict[str, str]:
    """``{slug: original's slug}`` for live guides in any language (an original maps to itself)."""
    pages = list(GuidePage.objects.live().filter(slug__in=list(slugs)).values("slug", "translation_key"))
    originals = dict(
        _default_language(GuidePage.objects.live())
        .filter(translation_key__in=[page["translation_key"] for page in pages])
        .values_list("translation_key", "slug")
    )
    return {page["slug"]: originals[page["translation_key"]] for page in pages if page["translation_key"] in originals}


def guide_titles_in(*, slugs, language: str) -> dict[str, str]:
    """``{original slug: title}`` of live public guides, the title of their translation in
    ``language`` where there is one."""
    titles = guide_titles(slugs=slugs)
    if not language or language == settings.LANGUAGE_CODE or not titles:
        return titles
    keys = dict(_default_language(_guides()).filter(slug__in=list(titles)).values_list("translation_key", "slug"))
    translated = _guides().filter(translation_key__in=list(keys), locale__language_code=language)
    for key, title in translated.values_list("translation_key", "title"):
        titles[keys[key]] = title
    return titles


def _absolute(url: str, request: HttpRequest | None) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def guide_summary(*, page: GuidePage, request: HttpRequest | None = None) -> dict:
    return {
        "slug": page.slug,
        "title": page.title,
        "category": category.name if (category := guide_category(page=page)) else None,
        "url": _absolute(page.get_url(request=request) or "", request),
        "updated_at": page.last_published_at or page.latest_revision_created_at,
    }


def guide_detail(*, page: GuidePage, request: HttpRequest | None = None) -> dict:
    """Every typed fact of a guide: what the API returns and the bot answers from."""
    office = guide_office(page=page)
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
                "slug": regulation.slug,
                "title": regulation.title,
                "citation": regulation.citation,
                "url": _absolute(regulation.get_url(request=request) or "", request),
            }
            for regulation in _in_locale([item.regulation for item in page.legal_basis.all()], page.locale_id)
        ],
        "tags": sorted(tag.name for tag in page.tags.all()),
    }


def _in_locale(pages: list, locale_id) -> list:
    """Each of ``pages`` in the locale ``locale_id``: its live translation there, or itself (one query).

    A translated guide's rows (its legal basis) still point at the original regulations."""
    keys = [page.translation_key for page in pages if page.locale_id != locale_id]
    if not keys or not pages:
        return pages
    model = type(pages[0])
    translated = {
        page.translation_key: page
        for page in _public(model.objects.live()).filter(translation_key__in=keys, locale_id=locale_id)
    }
    return [translated.get(page.translation_key, page) for page in pages]


def guide_legal_basis(*, page: GuidePage) -> list:
    """The regulations a guide cites, in the guide's language where they are translated."""
    return _in_locale([item.regulation for item in page.legal_basis.all() if item.regulation_id], page.locale_id)


def guide_jsonld(*, page: GuidePage, request: HttpRequest | None = None) -> dict:
    """schema.org GovernmentService for a guide page."""
    municipality = site_contact(request).name
    url = _absolute(page.get_url(request=request) or "", request)
    data: dict = {
        "@context": "https://schema.org",
        "@type": "GovernmentService",
        "@id": url,
        "name": page.title,
        "description": page.summary,
        "url": url,
        "serviceType": category.name if (category := guide_category(page=page)) else None,
        "alternateName": [alias.name for alias in page.alternative_names.all()] or None,
        "provider": {"@type": "GovernmentOrganization", "name": municipality},
        "areaServed": {"@type": "AdministrativeArea", "name": municipality},
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
    office = guide_office(page=page)
    if office is not None:
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


def regulation_list(
    *, parent: Page | None = None, reg_type: str | None = None, year: int | None = None, status: str | None = None
):
    regulations = _public(RegulationPage.objects.live()).order_by("-date", "title")
    if parent is not None:
        regulations = regulations.child_of(parent)
    if reg_type:
        regulations = regulations.filter(reg_type=reg_type)
    if status:
        regulations = regulations.filter(status=status)
    if year:
        regulations = regulations.filter(date__year=year)
    return regulations


def regulation_citing_guides(*, regulation: RegulationPage) -> list:
    """The live, public guides whose legal basis cites ``regulation``, by title (one query)."""
    guides = (
        GuidePage.objects.live()
        .filter(legal_basis__regulation__translation_key=regulation.translation_key, locale_id=regulation.locale_id)
        .select_related("locale")
    )
    return list(_public(guides).distinct().order_by("title"))


def regulation_years(*, parent: Page | None = None) -> list[int]:
    dates = regulation_list(parent=parent).dates("date", "year", order="DESC")
    return [d.year for d in dates]


def transparency_list(*, parent: Page | None = None, category: str | None = None):
    pages = _public(TransparencyPage.objects.live()).order_by("category", "-year", "title")
    if parent is not None:
        pages = pages.child_of(parent)
    if category:
        pages = pages.filter(category=category)
    return pages.prefetch_related(_documents())


def news_list(*, parent: Page | None = None):
    news = _public(NewsPage.objects.live()).order_by("-date", "-pk")
    if parent is not None:
        news = news.child_of(parent)
    return news


_HOME_INDEXES = {
    GuideIndexPage: "guide_index",
    NewsIndexPage: "news_index",
    RegulationIndexPage: "regulation_index",
    TransparencyIndexPage: "transparency_index",
}


def home_sections(*, home: Page) -> dict:
    """What the home page shows: guides by category, latest news, entry points (three queries)."""
    indexes = dict.fromkeys(_HOME_INDEXES.values())
    # The four index pages in one query; their own fields (the summary) are not shown here.
    for page in Page.objects.live().descendant_of(home).type(*_HOME_INDEXES).specific(defer=True):
        name = _HOME_INDEXES.get(type(page))
        if name is not None and indexes[name] is None:
            indexes[name] = page
    guide_index = indexes["guide_index"]
    guides = guide_list(parent=guide_index) if guide_index else []
    return {
        **indexes,
        "guide_groups": guides_by_category(guides, locale_id=home.locale_id),
        "latest_news": list(news_list().descendant_of(home)[:3]),
    }


# --- The portal's own details (cms.models.PortalSettings) ----------------------------
# Read by every page (header, footer), the feeds, the JSON-LD, open data and the bot:
# kept in the shared cache (no query per request) and dropped when staff save the
# settings or change the logo's image (cms.publishing).

SITE_CONTACT_KEY = "ayni:site-contact:1"
LOGO_RENDITION = "max-480x96"  # shown 48 px high: twice that for sharp screens


@dataclass(frozen=True)
class SiteContact:
    name: str
    phone: str
    short_name: str = ""
    hours: str = ""
    online_platform_name: str = ""
    online_platform_url: str = ""
    logo_id: int | None = None
    logo_url: str = ""
    logo_width: int = 0
    logo_height: int = 0
    social: tuple[tuple[str, str], ...] = ()  # (network, URL)

    @property
    def display_short_name(self) -> str:
        return self.short_name or self.name

    @property
    def phone_uri(self) -> str:
        """``tel:`` link of the 800 line (digits and a leading +)."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        return f"tel:{'+' if self.phone.strip().startswith('+') else ''}{digits}"


def _logo(image) -> dict:
    if image is None:
        return {}
    try:
        rendition = image.get_rendition(LOGO_RENDITION)
    except Exception:  # a missing or unreadable file: the header shows the name alone
        logger.warning("site logo: image %s cannot be rendered", image.pk, exc_info=True)
        return {}
    return {
        "logo_id": image.pk,
        "logo_url": rendition.url,
        "logo_width": rendition.width,
        "logo_height": rendition.height,
    }


def _site_contact_from_db() -> SiteContact:
    from django.conf import settings

    record = PortalSettings.base_queryset().first()
    if record is None:  # never saved: the environment's values
        return SiteContact(name=settings.WAGTAIL_SITE_NAME, phone=settings.AYNI_MUNICIPALITY_PHONE)
    social = tuple(
        (network, url) for field, network in SOCIAL_NETWORKS if (url := safe_http_url(getattr(record, field)))
    )
    return SiteContact(
        name=record.name or settings.WAGTAIL_SITE_NAME,
        phone=record.phone or settings.AYNI_MUNICIPALITY_PHONE,
        short_name=record.short_name,
        hours=record.hours,
        online_platform_name=record.online_platform_name,
        online_platform_url=safe_http_url(record.online_platform_url),
        social=social,
        **_logo(record.logo),
    )


def site_contact(request: HttpRequest | None = None) -> SiteContact:
    """The municipality's name, logo, 800 line, hours, online platform and social links."""
    if request is not None and hasattr(request, "_ayni_site_contact"):
        return request._ayni_site_contact
    contact = site_contact_cached()
    if contact is None:
        contact = _site_contact_from_db()
        cache.set(SITE_CONTACT_KEY, asdict(contact), timeout=None)
    if request is not None:
        request._ayni_site_contact = contact
    return contact


def site_contact_cached() -> SiteContact | None:
    """The details if the cache has them, without ever reading the database (the error page's case)."""
    try:
        cached = cache.get(SITE_CONTACT_KEY)
    except Exception:  # noqa: BLE001 (whatever failed, the caller has its own fallback)
        return None
    if not isinstance(cached, dict):
        return None
    try:
        return SiteContact(**{**cached, "social": tuple(map(tuple, cached.get("social", ())))})
    except TypeError:  # stored by an older release with other fields
        return None


def site_contact_forget() -> None:
    """Drop the cached details (the settings or the logo changed)."""
    cache.delete(SITE_CONTACT_KEY)


# --- Admin dashboard --------------------------------------------------------------

GUIDE_REVIEW_DAYS = 365


def guide_review_cutoff(*, now=None):
    """Guides last published before this moment (midnight, a year ago) count as not reviewed.

    ``GuidePage`` has no review date of its own: publishing a guide is reviewing it.
    """
    import datetime as dt

    from django.utils import timezone

    day = timezone.localdate(now) - dt.timedelta(days=GUIDE_REVIEW_DAYS)
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def guides_not_reviewed(*, user, now=None):
    """The live guides ``user`` may edit or publish that nobody has published for a year."""
    from wagtail.permission_policies.pages import PagePermissionPolicy

    editable = PagePermissionPolicy(GuidePage).instances_user_has_any_permission_for(user, {"change", "publish"})
    return editable.live().filter(last_published_at__lte=guide_review_cutoff(now=now))
