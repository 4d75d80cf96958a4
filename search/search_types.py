"""The content types of ``cms`` that the portal's search covers.

Other apps register theirs in their own ``search_types.py`` (see
``search.registry``).
"""

from django.db.models import Exists, OuterRef
from django.db.models.functions import Length, Substr
from django.utils.html import strip_tags

from search.registry import KNOWN_TYPES, SearchDocumentData, SearchType, register


def _page_document(page, *, strong=(), text=()) -> SearchDocumentData:
    return SearchDocumentData(
        title=page.title,
        url=page.get_url() or "",
        slug=page.slug,
        strong=[s for s in strong if s],
        text=[t for t in text if t],
        language=page.locale.language_code if page.locale_id else "",
    )


def _public(pages):
    """``PageQuerySet.public()`` as a subquery: no page under a view restriction.

    Wagtail's ``public()`` reads the restrictions when the queryset is built
    (one query each time); this ``NOT EXISTS`` is evaluated inside the search's
    own query, so a search stays one query whatever the number of types.
    """
    from wagtail.models import PageViewRestriction

    restricting = PageViewRestriction.objects.filter(page__path=Substr(OuterRef("path"), 1, Length("page__path")))
    return pages.exclude(Exists(restricting))


def _guides():
    from cms.models import GuidePage

    return _public(GuidePage.objects.live()).select_related("category", "locale")


def _guide_document(page) -> SearchDocumentData:
    from cms.selectors import guide_category

    category = guide_category(page=page)  # in the page's language (an English guide: the English name)
    return _page_document(
        page,
        strong=[alias.name for alias in page.alternative_names.all()],
        text=[
            page.summary,
            category.name if category else "",
            " · ".join(tag.name for tag in page.tags.all()),
            *(item.text for item in page.requirements.all()),
        ],
    )


def _regulations():
    from cms.models import RegulationPage

    return _public(RegulationPage.objects.live()).select_related("locale")


def _regulation_document(page) -> SearchDocumentData:
    return _page_document(page, strong=[page.citation], text=[page.summary, page.get_status_display()])


def _transparency():
    from cms.models import TransparencyPage

    return _public(TransparencyPage.objects.live()).select_related("locale")


def _transparency_document(page) -> SearchDocumentData:
    return _page_document(
        page,
        text=[
            page.summary,
            f"{page.get_category_display()} {page.year}",
            *(item.display_title for item in page.documents.all()),
        ],
    )


def _news():
    from cms.models import NewsPage

    return _public(NewsPage.objects.live()).select_related("locale")


def _news_document(page) -> SearchDocumentData:
    return _page_document(page, text=[page.summary, strip_tags(page.body or "")])


register(
    SearchType(
        name="guide",
        label=KNOWN_TYPES["guide"],
        model="cms.GuidePage",
        queryset=_guides,
        document=_guide_document,
        prefetch=("alternative_names", "requirements", "tags"),
    )
)
register(
    SearchType(
        name="regulation",
        label=KNOWN_TYPES["regulation"],
        model="cms.RegulationPage",
        queryset=_regulations,
        document=_regulation_document,
        boost=0.95,
    )
)
register(
    SearchType(
        name="transparency",
        label=KNOWN_TYPES["transparency"],
        model="cms.TransparencyPage",
        queryset=_transparency,
        document=_transparency_document,
        prefetch=("documents__document",),
        boost=0.95,
    )
)
register(
    SearchType(
        name="news",
        label=KNOWN_TYPES["news"],
        model="cms.NewsPage",
        queryset=_news,
        document=_news_document,
        boost=0.9,
    )
)
