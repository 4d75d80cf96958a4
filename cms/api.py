"""``/api/guides/``: the guides' typed facts as JSON (the bot reads these)."""

from datetime import datetime
from decimal import Decimal

from django.http import Http404
from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from ayni.api_errors import errors
from cms import selectors

router = Router()


class GuideSummaryOut(Schema):
    slug: str
    title: str
    category: str | None
    url: str
    updated_at: datetime | None


class RequirementOut(Schema):
    text: str
    note: str


class CostOut(Schema):
    amount_bs: Decimal | None
    text: str


class DurationOut(Schema):
    business_days: int | None
    text: str


class OfficeOut(Schema):
    name: str
    address: str
    hours: str
    phone: str
    email: str
    latitude: Decimal | None
    longitude: Decimal | None


class OnlineOut(Schema):
    available: bool
    url: str


class LegalBasisOut(Schema):
    slug: str
    title: str
    citation: str
    url: str


class GuideDetailOut(GuideSummaryOut):
    summary: str
    category_slug: str | None
    aliases: list[str]
    requirements: list[RequirementOut]
    cost: CostOut
    duration: DurationOut
    office: OfficeOut | None
    online: OnlineOut
    steps: list[str]
    legal_basis: list[LegalBasisOut]
    tags: list[str]


@router.get(
    "",
    response={200: list[GuideSummaryOut], **errors(400, 422)},
    summary="Lista de guías de trámites publicadas",
)
@paginate(LimitOffsetPagination)
def guide_index(request, category: str | None = None, online: bool | None = None):
    guides = selectors.guide_list(category_slug=category, online_only=bool(online))
    return [selectors.guide_summary(page=page, request=request) for page in guides]


@router.get("{slug}/", response={200: GuideDetailOut, **errors(400, 404, 422)}, summary="Una guía con todos sus datos")
def guide_show(request, slug: str):
    page = selectors.guide_get(slug=slug)
    if page is None:
        raise Http404
    return selectors.guide_detail(page=page, request=request)
