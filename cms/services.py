"""Writes of the content app."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ayni.ratelimit import RateLimited, hit
from cms.models import (
    GuideAlias,
    GuideCategory,
    GuideFeedback,
    GuideIndexPage,
    GuideLegalBasis,
    GuidePage,
    GuideRequirement,
    GuideStep,
    Office,
    RegulationPage,
)
from cms.rules import PublishProblem

FEEDBACK_COMMENT_MAX = 1000

__all__ = ["RateLimited", "feedback_submit", "rate_limit_hit"]


def rate_limit_hit(*, scope: str, client: str, limit: int, window: int) -> None:
    """Count one request of ``client`` (a key from ayni.clients) in ``scope``; raise RateLimited over ``limit``."""
    hit(scope=scope, key=client, limit=limit, window=window)


@transaction.atomic
def feedback_submit(*, page: GuidePage, helpful: bool, comment: str, client: str) -> GuideFeedback:
    comment = (comment or "").strip()
    if len(comment) > FEEDBACK_COMMENT_MAX:
        raise ValidationError(
            {"comment": _("El comentario no puede superar los %(max)d caracteres.") % {"max": FEEDBACK_COMMENT_MAX}}
        )
    if not page.live:
        raise ValidationError(_("Esta guía no está publicada."))
    rate_limit_hit(
        scope="feedback",
        client=client,
        limit=settings.AYNI_FEEDBACK_RATE,
        window=settings.AYNI_FEEDBACK_WINDOW_SECONDS,
    )
    return GuideFeedback.objects.create(page=page, helpful=helpful, comment=comment)


# --- Guides from a catalogue (demo loader, import_guides, admin import) ----------


@dataclass(frozen=True)
class GuideData:
    """One guide as a catalogue describes it (validated by ``cms.importers``).

    ``online_url`` None keeps the guide's current link (a new guide gets none).
    """

    slug: str
    title: str
    summary: str = ""
    category: str = ""
    aliases: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    cost_amount: Decimal | None = None
    cost_text: str = ""
    duration_days: int | None = None
    duration_text: str = ""
    office: str = ""
    online: bool = False
    online_url: str | None = None
    legal_basis: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class GuideUpsertResult:
    page: GuidePage
    action: str  # "created", "updated" or "unchanged"
    changes: tuple[str, ...] = ()


def _originals(model):
    """``model``'s rows in the default language (its translations share their slug and translation key)."""
    return model.objects.filter(locale__language_code=settings.LANGUAGE_CODE)


def guide_category_find(name: str) -> GuideCategory | None:
    """The (original) category called ``name`` (or whose slug it gives), if it exists."""
    name = name.strip()
    if not name:
        return None
    categories = _originals(GuideCategory)
    return (
        categories.filter(name=name).first()
        or categories.filter(name__iexact=name).first()
        or categories.filter(slug=slugify(name)).first()
    )


def guide_category_ensure(name: str) -> GuideCategory | None:
    category = guide_category_find(name)
    if category is not None or not name.strip():
        return category
    name = name.strip()
    base = slugify(name)[:90] or "categoria"
    slug, n = base, 2
    while GuideCategory.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return GuideCategory.objects.create(name=name, slug=slug, sort_order=_originals(GuideCategory).count())


def office_find(name: str) -> Office | None:
    """The (original) office called ``name``, if it exists."""
    name = name.strip()
    if not name:
        return None
    offices = _originals(Office)
    return offices.filter(name=name).first() or offices.filter(name__iexact=name).first()


def office_ensure(name: str) -> Office | None:
    if not name.strip():
        return None
    return office_find(name) or Office.objects.create(name=name.strip())


def regulations_by_slug(slugs) -> dict[str, RegulationPage]:
    """Regulation pages by slug (the catalogue's ``legal_basis`` ids); unknown slugs are absent."""
    found: dict[str, RegulationPage] = {}
    for page in RegulationPage.objects.filter(slug__in=set(slugs)).order_by("path"):
        found.setdefault(page.slug, page)
    return found


def guide_changes(page: GuidePage, data: GuideData, *, regulations: dict[str, RegulationPage]) -> list[str]:
    """Names of the fields whose content in ``page`` differs from ``data`` (empty: nothing to do)."""
    category = guide_category_find(data.category)
    office = office_find(data.office)
    current = {
        "title": page.title,
        "summary": page.summary or "",
        "category": page.category_id,
        "aliases": [a.name for a in page.alternative_names.all()],
        "requirements": [r.text for r in page.requirements.all()],
        "steps": [s.text for s in page.steps.all()],
        "cost": (page.cost_amount, page.cost_text or ""),
        "duration": (page.duration_days, page.duration_text or ""),
        "office": page.office_id,
        "online": bool(page.online),
        "legal_basis": [lb.regulation_id for lb in page.legal_basis.all()],
        "tags": sorted({t.name for t in page.tags.all()}),
    }
    wanted = {
        "title": data.title,
        "summary": data.summary,
        "category": category.pk if category else (None if not data.category.strip() else -1),
        "aliases": list(data.aliases),
        "requirements": list(data.requirements),
        "steps": list(data.steps),
        "cost": (data.cost_amount, data.cost_text),
        "duration": (data.duration_days, data.duration_text),
        "office": office.pk if office else (None if not data.office.strip() else -1),
        "online": data.online,
        "legal_basis": [regulations[s].pk for s in data.legal_basis if s in regulations],
        "tags": sorted(set(data.tags)),
    }
    if data.online_url is not None:
        current["online_url"], wanted["online_url"] = page.online_url or "", data.online_url
    changed = []
    for name, value in wanted.items():
        before = current[name]
        if name == "cost":
            same = before[1] == value[1] and (
                (before[0] is None and value[0] is None)
                or (before[0] is not None and value[0] is not None and Decimal(before[0]) == value[0])
            )
        else:
            same = before == value
        if not same:
            changed.append(name)
    return changed


def _guide_fill(page: GuidePage, data: GuideData, *, regulations: dict[str, RegulationPage]) -> None:
    notes = {r.text: r.note for r in page.requirements.all()} if page.pk else {}
    page.title = data.title
    page.summary = data.summary
    page.category = guide_category_ensure(data.category)
    page.cost_amount = data.cost_amount
    page.cost_text = data.cost_text
    page.duration_days = data.duration_days
    page.duration_text = data.duration_text
    page.office = office_ensure(data.office)
    page.online = data.online
    if data.online_url is not None:
        page.online_url = data.online_url
    page.requirements = [
        GuideRequirement(text=text, note=notes.get(text, ""), sort_order=i) for i, text in enumerate(data.requirements)
    ]
    page.steps = [GuideStep(text=text, sort_order=i) for i, text in enumerate(data.steps)]
    page.alternative_names = [GuideAlias(name=text, sort_order=i) for i, text in enumerate(data.aliases)]
    page.legal_basis = [
        GuideLegalBasis(regulation=regulations[slug], sort_order=i)
        for i, slug in enumerate(s for s in data.legal_basis if s in regulations)
    ]
    page.tags.clear()
    page.tags.add(*data.tags)


def guide_preview(
    data: GuideData, *, regulations: dict[str, RegulationPage], current: GuidePage | None = None
) -> GuidePage:
    """An unsaved guide with ``data``'s content (nothing is written), as publishing would leave it.

    ``current``: the existing guide, whose online link stays when ``data`` gives none.
    """
    office = office_find(data.office) or (Office(name=data.office.strip()) if data.office.strip() else None)
    online_url = data.online_url if data.online_url is not None else (current.online_url if current else "")
    page = GuidePage(
        slug=data.slug,
        title=data.title,
        summary=data.summary,
        cost_amount=data.cost_amount,
        cost_text=data.cost_text,
        duration_days=data.duration_days,
        duration_text=data.duration_text,
        office=office,
        online=data.online,
        online_url=online_url or "",
    )
    page.requirements = [GuideRequirement(text=text, sort_order=i) for i, text in enumerate(data.requirements)]
    page.steps = [GuideStep(text=text, sort_order=i) for i, text in enumerate(data.steps)]
    page.legal_basis = [
        GuideLegalBasis(regulation=regulations[slug], sort_order=i)
        for i, slug in enumerate(s for s in data.legal_basis if s in regulations)
    ]
    return page


def guide_publish_problems(
    data: GuideData, *, regulations: dict[str, RegulationPage], current: GuidePage | None = None
) -> list[PublishProblem]:
    """``GuidePage.publish_problems()`` of the guide ``data`` would publish."""
    return guide_preview(data, regulations=regulations, current=current).publish_problems()


def guide_publish_check(page: GuidePage) -> None:
    """Raise ValidationError (field -> messages) when ``page`` may not be published."""
    problems = page.publish_problems()
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field or "__all__", []).append(problem.message)
        raise ValidationError(errors)


@transaction.atomic
def guide_upsert(
    *,
    index: GuideIndexPage,
    data: GuideData,
    publish: bool,
    user=None,
    regulations: dict[str, RegulationPage] | None = None,
) -> GuideUpsertResult:
    """Create the guide ``data.slug`` under ``index``, or give the existing one a new revision.

    With ``publish`` the new revision is published (the guide must satisfy the
    publishing rule), otherwise it stays a draft revision (a new guide is
    created as a draft). A guide whose latest revision already has this
    content (and is live when publishing) is left alone: no new revision.
    Categories and offices are created by name; unknown ``legal_basis`` slugs
    are left out (``cms.importers`` reports them).
    """
    if regulations is None:
        regulations = regulations_by_slug(data.legal_basis)
    existing = index.get_children().filter(slug=data.slug).first()
    if publish:
        current = existing.specific if existing is not None else None
        guide_publish_check(
            guide_preview(data, regulations=regulations, current=current if isinstance(current, GuidePage) else None)
        )
    if existing is None:
        page = GuidePage(slug=data.slug, live=publish)
        _guide_fill(page, data, regulations=regulations)
        index.add_child(instance=page)
        revision = page.save_revision(user=user, log_action=True)
        if publish:
            revision.publish(user=user)
        return GuideUpsertResult(page=page, action="created")
    existing = existing.specific
    if not isinstance(existing, GuidePage):
        raise ValidationError(_("Ya existe otra página con el slug «%(slug)s».") % {"slug": data.slug})
    page = existing.get_latest_revision_as_object()
    changes = guide_changes(page, data, regulations=regulations)
    unpublished = publish and (not existing.live or existing.has_unpublished_changes)
    if not changes and not unpublished:
        return GuideUpsertResult(page=existing, action="unchanged")
    if changes:
        _guide_fill(page, data, regulations=regulations)
        revision = page.save_revision(user=user, log_action=True)
    else:
        revision = existing.latest_revision or existing.save_revision(user=user, log_action=True)
    if publish:
        revision.publish(user=user)
    return GuideUpsertResult(page=existing, action="updated", changes=tuple(changes) or ("publish",))


# --- Aliases from what citizens could not find (issue 13, item 4) ---------------

GUIDE_ALIAS_MAX = 200


@dataclass(frozen=True)
class GuideAliasResult:
    page: GuidePage
    name: str
    added: bool  # False when the guide already had this name (nothing was saved)
    published: bool  # True when the name is on the live guide (the bot and the search use it)


def _alias_fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", " ".join(text.split()))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _has_name(page: GuidePage, folded: str) -> bool:
    names = [page.title, *(alias.name for alias in page.alternative_names.all())]
    return any(_alias_fold(name) == folded for name in names)


def _with_alias(page: GuidePage, name: str) -> GuidePage:
    page.alternative_names.add(GuideAlias(name=name))
    return page


@transaction.atomic
def guide_add_alias(*, guide: GuidePage, name: str, user) -> GuideAliasResult:
    """Give ``guide`` the alternative name ``name`` (what a citizen typed and did not find).

    A user who may publish the guide gets a new published revision, so the
    chat's guide index and the portal search pick the name up at once; if the
    guide also had a pending draft, the draft gets the name too and stays a
    draft. A user who may only edit the guide gets a draft revision (an editor
    publishes it later). A name the guide already has (its title or an alias,
    ignoring case and accents) is not added twice. Raises ``PermissionDenied``
    when the user may not edit the guide, ``ValidationError`` for an empty or
    too long name.
    """
    from django.core.exceptions import PermissionDenied

    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": _("Escriba el nombre alternativo.")})
    if len(name) > GUIDE_ALIAS_MAX:
        raise ValidationError(
            {"name": _("El nombre alternativo no puede superar los %(max)d caracteres.") % {"max": GUIDE_ALIAS_MAX}}
        )
    # Lock the guide's row: two staff adding names at once make two revisions in turn, not one lost.
    guide = GuidePage.objects.select_for_update().get(pk=guide.pk)
    permissions = guide.permissions_for_user(user)
    if not permissions.can_edit():
        raise PermissionDenied(_("No tiene permiso para editar la guía «%(title)s».") % {"title": guide.title})
    folded = _alias_fold(name)
    draft = guide.get_latest_revision_as_object()
    in_draft = _has_name(draft, folded)
    if not (guide.live and permissions.can_publish()):
        if in_draft:
            return GuideAliasResult(
                page=guide, name=name, added=False, published=guide.live and _has_name(guide, folded)
            )
        _with_alias(draft, name).save_revision(user=user, log_action=True)
        return GuideAliasResult(page=guide, name=name, added=True, published=False)
    in_live = _has_name(guide, folded)
    if in_live and in_draft:
        return GuideAliasResult(page=guide, name=name, added=False, published=True)
    pending = guide.has_unpublished_changes
    if not in_live:
        # The live content (the page's row) plus the name, published: a pending draft is not published with it.
        live = guide if pending else draft
        _with_alias(live, name).save_revision(user=user, log_action=True).publish(user=user)
    if pending and not in_draft:  # the draft (read before publishing) keeps its changes and gets the name
        _with_alias(draft, name).save_revision(user=user, log_action=True)
    return GuideAliasResult(page=guide, name=name, added=True, published=True)
