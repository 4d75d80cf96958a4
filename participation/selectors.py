"""Reads of the participation app. Views, the API, the admin and the bot call these."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from participation import codes
from participation.models import (
    Comment,
    Complaint,
    ContentReport,
    District,
    MunicipalUnit,
    Notification,
    ParticipationSettings,
    ProblemType,
    Proposal,
    ProposalCategory,
)
from participation.models.accounts import LEVEL_EMAIL, LEVEL_IDENTITY, LEVEL_LABELS
from participation.models.settings import ACTIONS, env_action_level, env_threshold_level
from participation.rules import (
    OFFICERS,
    TRANSPARENCY,
    can,
    complaints_visible_filter,
    is_transparency,
    level_filter,
)

# --- verification levels -----------------------------------------------------------

LEVELS_KEY = "participation:levels:1"
# A bound on staleness should a purge ever be lost (e.g. Redis down while staff saved).
LEVELS_TIMEOUT = 300
_LEVEL_FIELDS = (*(f"{action}_level" for action in ACTIONS), "threshold_level")


@dataclass(frozen=True)
class ParticipationLevels:
    """The level ("email" or "identity") each action needs, and the level the threshold counts."""

    support: str
    propose: str
    comment: str
    report: str
    threshold: str


def _valid(level, fallback: str) -> str:
    return level if level in (LEVEL_EMAIL, LEVEL_IDENTITY) else fallback


def participation_levels() -> ParticipationLevels:
    """The levels staff chose in Propiedades → Participación ciudadana (``ParticipationSettings``).

    While no record exists the environment decides (``settings.AYNI_ACTION_LEVELS``,
    ``settings.AYNI_LEVEL_THRESHOLD``, read at each call). The record's values are
    kept in the shared cache (every process, one read of the database until staff
    save: ``levels_forget``); an unexpected value falls back to the environment's.
    """
    stored = cache.get(LEVELS_KEY)
    if not isinstance(stored, dict):
        stored = ParticipationSettings.objects.values(*_LEVEL_FIELDS).first() or {}
        cache.set(LEVELS_KEY, stored, timeout=LEVELS_TIMEOUT)
    return ParticipationLevels(
        **{action: _valid(stored.get(f"{action}_level"), env_action_level(action)) for action in ACTIONS},
        threshold=_valid(stored.get("threshold_level"), env_threshold_level()),
    )


def action_level(action: str) -> str:
    """The level an action ("support", "propose", "comment", "report") needs."""
    return getattr(participation_levels(), action, None) or env_action_level(action)


def threshold_level() -> str:
    """Which supports count towards AYNI_PROPOSAL_SUPPORT_THRESHOLD: "email" (all) or "identity"."""
    return participation_levels().threshold


def levels_forget() -> None:
    """Drop the cached levels (staff saved the settings)."""
    cache.delete(LEVELS_KEY)


# --- proposals ---------------------------------------------------------------


def proposal_list(
    *,
    category: str = "",
    district: str = "",
    status: str = "",
    tag: str = "",
    sort: str = "recientes",
):
    proposals = Proposal.objects.visible().select_related("category", "district")
    if category:
        proposals = proposals.filter(category__slug=category)
    if district:
        proposals = proposals.filter(district__slug=district)
    if status:
        proposals = proposals.filter(status=status)
    if tag:
        proposals = proposals.filter(tags__slug=tag)
    return proposals.sorted_by(sort).distinct()


def proposal_filters() -> dict:
    from taggit.models import Tag

    return {
        "categories": list(ProposalCategory.objects.all()),
        "districts": list(District.objects.all()),
        "statuses": Proposal.Status.choices,
        "tags": list(Tag.objects.filter(participation_proposaltag_items__isnull=False).distinct().order_by("name")),
    }


def proposal_get(*, pk: int, user=None) -> Proposal | None:
    proposal = (
        Proposal.objects.select_related("category", "district", "author__participation_profile")
        .prefetch_related("tags")
        .filter(pk=pk)
        .first()
    )
    if proposal is None:
        return None
    if proposal.moderation != Proposal.Moderation.VISIBLE and not can(user, "moderate"):
        return None
    return proposal


def proposal_comments(*, proposal: Proposal):
    return proposal.comments.visible().select_related("author__participation_profile")


def proposal_user_state(*, proposal: Proposal, user) -> dict:
    if not user or not user.is_authenticated:
        return {"supported": False, "following": False}
    return {
        "supported": proposal.supports.filter(user=user).exists(),
        "following": proposal.follows.filter(user=user).exists(),
    }


def author_name(user) -> str:
    profile = getattr(user, "participation_profile", None)
    if profile and profile.display_name:
        return profile.display_name
    # Never derived from the e-mail address (its local part often is the person's full name).
    return user.first_name or gettext("Vecina o vecino")


def proposal_public(*, proposal: Proposal) -> dict:
    """Public fields only (no e-mail addresses)."""
    return {
        "id": proposal.pk,
        "title": proposal.title,
        "body": proposal.body,
        "category": proposal.category.name,
        "district": proposal.district.name if proposal.district else None,
        "tags": sorted(tag.name for tag in proposal.tags.all()),
        "status": proposal.status,
        "status_label": str(proposal.get_status_display()),
        "status_reason": proposal.status_reason,
        "official_answer": proposal.official_answer,
        "support_count": proposal.support_count,
        "identity_support_count": proposal.identity_support_count,
        "author": author_name(proposal.author),
        "created_at": proposal.created_at,
        "url": proposal.get_absolute_url(),
    }


def support_counts() -> dict[int, tuple[int, int]]:
    """Every proposal's (support count, identity-level support count), by id (the live-count poller)."""
    return {
        pk: (count, identity)
        for pk, count, identity in Proposal.objects.values_list("pk", "support_count", "identity_support_count")
    }


def moderation_queue() -> dict:
    open_reports = Count("reports", filter=Q(reports__resolved_at__isnull=True))
    return {
        "proposals": Proposal.objects.annotate(open_reports=open_reports)
        .filter(Q(moderation=Proposal.Moderation.HIDDEN) | Q(open_reports__gt=0))
        .order_by("-open_reports"),
        "comments": Comment.objects.annotate(open_reports=open_reports)
        .filter(Q(moderation=Proposal.Moderation.HIDDEN) | Q(open_reports__gt=0))
        .select_related("proposal")
        .order_by("-open_reports"),
    }


def counted_reports(*, target: Proposal | Comment):
    """The open reports of ``target`` that count towards hiding it (one per account by the
    unique constraints): only those of active accounts at the level the report action
    needs (``action_level("report")``), read at each count, so that raising the level
    discounts older reports of lower-level accounts."""
    level = action_level("report")
    return target.reports.filter(resolved_at__isnull=True).filter(level_filter(level, prefix="reporter__"))


def moderation_record(*, target: Proposal | Comment) -> dict:
    """Who reported ``target`` (every report, open or resolved, with whether it counts now)
    and what moderation decided about it, for the staff's moderation screen."""
    counted = set(counted_reports(target=target).values_list("pk", flat=True))
    reports = list(
        target.reports.select_related("reporter__participation_profile", "decision__moderator").order_by(
            "created_at", "pk"
        )
    )
    for report in reports:
        report.counts = report.pk in counted
        profile = getattr(report.reporter, "participation_profile", None)
        report.reporter_level = LEVEL_LABELS[profile.level if profile else ""]
        report.reporter_name = author_name(report.reporter)
    decisions = list(target.moderation_decisions.select_related("moderator").order_by("created_at", "pk"))
    return {"reports": reports, "decisions": decisions, "counted": len(counted)}


def content_reasons(*, proposal: Proposal | None = None, comment: Comment | None = None) -> list[str]:
    reports = (
        ContentReport.objects.filter(proposal=proposal) if proposal else ContentReport.objects.filter(comment=comment)
    )
    return [r.reason for r in reports.filter(resolved_at__isnull=True) if r.reason]


# --- complaints ---------------------------------------------------------------


def complaint_by_code(*, raw_code: str) -> Complaint | None:
    """MalformedCode if it cannot be a code; None if no such complaint."""
    return Complaint.objects.filter(code=codes.normalize(raw_code)).first()


def complaint_public(*, complaint: Complaint, today=None) -> dict:
    """What anyone holding the code may see: status, due date, overdue flag and the public history."""
    today = today or timezone.localdate()
    history = complaint.events.filter(public=True).order_by("created_at", "pk")
    return {
        "code": complaint.code,
        "status": complaint.status,
        "status_label": str(complaint.get_status_display()),
        "due_date": complaint.due_date,
        "overdue": complaint.overdue_on(today),
        "history": [
            {
                "date": event.created_at,
                "status": event.status_to or None,
                "status_label": str(Complaint.Status(event.status_to).label) if event.status_to else None,
                "message": event.text,
            }
            for event in history
        ],
    }


def complaints_visible_to(*, user):
    condition = complaints_visible_filter(user)
    if condition is None:
        return Complaint.objects.none()
    return Complaint.objects.filter(condition).distinct()


def complaint_queue(*, user, unit: str = "", status: str = "", overdue: bool = False, kind: str = ""):
    complaints = complaints_visible_to(user=user).select_related("unit", "assigned_to", "problem_type").with_overdue()
    if unit:
        complaints = complaints.filter(unit__slug=unit)
    if status:
        complaints = complaints.filter(status=status)
    if kind:
        complaints = complaints.filter(kind=kind)
    if overdue:
        complaints = complaints.filter(is_overdue=True)
    return complaints.order_by("due_date", "pk")


def complaint_for_staff(*, user, pk: int) -> Complaint | None:
    return (
        complaints_visible_to(user=user)
        .select_related("unit", "district", "assigned_to", "problem_type")
        .filter(pk=pk)
        .first()
    )


def complaint_staff_history(*, complaint: Complaint):
    return complaint.events.select_related("actor").order_by("created_at", "pk")


def complaint_units_for(*, user):
    """Units offered as a filter in the work queue."""
    if user.is_superuser or is_transparency(user):
        return MunicipalUnit.objects.all()
    return MunicipalUnit.objects.filter(memberships__user=user).distinct()


def complaint_assignable_users(*, complaint: Complaint) -> list:
    User = get_user_model()
    candidates = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=[OFFICERS, TRANSPARENCY]))
        .distinct()
        .order_by("username")
    )
    return [user for user in candidates if can(user, "handle_complaint", complaint)]


# --- problem types ---------------------------------------------------------------


def problem_types():
    """The active problem types, in the order residents are offered them."""
    return ProblemType.objects.active().select_related("unit").order_by("sort_order", "name")


def _phrase(text: str) -> str:
    """Folded words joined by single spaces and padded, so that phrases match whole words only."""
    from search.analysis import WORD_RE, fold

    return " " + " ".join(WORD_RE.findall(fold(text))) + " "


def problem_type_for_text(text: str) -> ProblemType | None:
    """The first active type (by sort order) with a keyword in ``text`` as a whole word or phrase.

    Accents and case do not count: "se cayó un ÁRBOL" finds «árbol».
    """
    words = _phrase((text or "")[:2000])
    if not words.strip():
        return None
    for problem_type in problem_types():
        for keyword in problem_type.keyword_list():
            phrase = _phrase(keyword)
            if phrase.strip() and phrase in words:
                return problem_type
    return None


# --- notifications --------------------------------------------------------------


def notifications_for(*, user, limit: int = 50):
    return Notification.objects.filter(user=user)[:limit]


def unread_notification_count(*, user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- dashboard and reminders ---------------------------------------------------


def complaint_deadlines_by_unit(*, user, today=None) -> list[dict]:
    """Per unit, the open cases ``user`` may handle that are overdue and that are due soon.

    Only units with at least one of either; the same visibility as the work queue.
    """
    today = today or timezone.localdate()
    visible = complaints_visible_to(user=user)
    overdue = visible.overdue(today=today).values("unit").annotate(n=Count("pk", distinct=True))
    soon = visible.due_soon(today=today).values("unit").annotate(n=Count("pk", distinct=True))
    counts: dict[int, dict] = {}
    for key, rows in (("overdue", overdue), ("due_soon", soon)):
        for row in rows:
            counts.setdefault(row["unit"], {"overdue": 0, "due_soon": 0})[key] = row["n"]
    units = MunicipalUnit.objects.filter(pk__in=counts).order_by("name")
    return [{"unit": unit, **counts[unit.pk]} for unit in units]


def moderation_pending_counts() -> dict[str, int]:
    """How many proposals and comments have reports nobody has decided on yet."""
    from django.db.models import Exists, OuterRef

    open_reports = ContentReport.objects.filter(resolved_at__isnull=True)
    return {
        "proposals": Proposal.objects.filter(Exists(open_reports.filter(proposal=OuterRef("pk")))).count(),
        "comments": Comment.objects.filter(Exists(open_reports.filter(comment=OuterRef("pk")))).count(),
    }


def complaints_due_soon(*, today=None):
    """Every open case due within ``AYNI_COMPLAINT_DUE_SOON_DAYS`` (the staff reminders)."""
    return Complaint.objects.due_soon(today=today).select_related("unit", "assigned_to").order_by("due_date", "pk")


def complaint_reminder_staff(*, complaint: Complaint) -> list:
    """Who is reminded of a case: its assignee while they may still handle it, else the staff of its unit
    (the unit's complaint officers; the transparency unit for a denuncia), never every superuser."""
    assignee = complaint.assigned_to
    if assignee is not None and assignee.is_active and can(assignee, "handle_complaint", complaint):
        return [assignee]
    User = get_user_model()
    if complaint.kind == Complaint.Kind.REPORT:
        staff = User.objects.filter(groups__name=TRANSPARENCY)
    else:
        staff = User.objects.filter(groups__name=OFFICERS, unit_memberships__unit_id=complaint.unit_id)
    return list(staff.filter(is_active=True).distinct().order_by("pk"))
