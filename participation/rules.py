"""Who may do what in participation, declared once (adhocracy4 style) with `rules` predicates.

Roles are Django groups (created by migration 0002):
- Moderadores: decide on reported content, give official answers to proposals.
- Oficiales de reclamos: see and handle the reclamos and sugerencias of the
  municipal units they are attached to (UnitMembership), nothing else.
- Unidad de transparencia: sees and handles every denuncia.
"""

from __future__ import annotations

import rules
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

MODERATORS = "Moderadores"
OFFICERS = "Oficiales de reclamos"
TRANSPARENCY = "Unidad de transparencia"
ROLE_GROUPS = (MODERATORS, OFFICERS, TRANSPARENCY)


def _in_group(user, name: str) -> bool:
    if not user or not user.is_authenticated:
        return False
    cache = getattr(user, "_participation_groups", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._participation_groups = cache
    return name in cache


@rules.predicate
def is_superuser(user) -> bool:
    return bool(user and user.is_authenticated and user.is_superuser)


@rules.predicate
def is_verified(user) -> bool:
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    profile = getattr(user, "participation_profile", None)
    return bool(profile and profile.email_verified)


def has_level(user, level: str) -> bool:
    """Whether the account reaches a verification level ("email" < "identity"; superusers always do)."""
    if not user or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    from participation.models.accounts import LEVELS

    profile = getattr(user, "participation_profile", None)
    return bool(profile) and LEVELS.index(profile.level) >= LEVELS.index(level)


def account_level(user) -> str:
    """The level the account itself reached ("identity", "email" or ""), whatever its staff rights."""
    if not user or not user.is_authenticated:
        return ""
    profile = getattr(user, "participation_profile", None)
    return profile.level if profile else ""


def level_filter(level: str, prefix: str = "") -> Q:
    """Accounts (through ``prefix``, e.g. "reporter__") that are active and reach ``level``, as in has_level."""
    profile = f"{prefix}participation_profile__"
    reached = Q(**{f"{profile}identity_verified_at__isnull": False})
    if level != "identity":
        reached |= Q(**{f"{profile}email_verified_at__isnull": False})
    return Q(**{f"{prefix}is_active": True}) & (reached | Q(**{f"{prefix}is_superuser": True}))


def _action_level(action: str) -> str:
    """The level staff chose for ``action`` (Propiedades → Participación ciudadana; the environment until then)."""
    from participation.selectors import action_level

    return action_level(action)


def _level_for(action: str):
    """The predicate "has the level the municipality asks for this action" (read at each test)."""

    @rules.predicate(name=f"has_level_for_{action}")
    def predicate(user) -> bool:
        if not user or not user.is_authenticated or not user.is_active:
            return False  # without reading the level
        return has_level(user, _action_level(action))

    return predicate


@rules.predicate
def is_moderator(user) -> bool:
    return _in_group(user, MODERATORS)


@rules.predicate
def is_officer(user) -> bool:
    return _in_group(user, OFFICERS)


@rules.predicate
def is_transparency(user) -> bool:
    return _in_group(user, TRANSPARENCY)


@rules.predicate
def is_proposal_author(user, proposal) -> bool:
    return bool(user and user.is_authenticated and proposal is not None and proposal.author_id == user.pk)


@rules.predicate
def proposal_has_no_supports(user, proposal) -> bool:
    return proposal is not None and proposal.support_count == 0 and proposal.status == "published"


@rules.predicate
def officer_of_complaint_unit(user, complaint) -> bool:
    if complaint is None or complaint.kind == "denuncia":
        return False
    return complaint.unit.memberships.filter(user_id=user.pk).exists()


@rules.predicate
def complaint_is_denuncia(user, complaint) -> bool:
    return complaint is not None and complaint.kind == "denuncia"


participation_rules = rules.RuleSet()
# Each needs the verification level the municipality chose (ParticipationSettings, initially AYNI_LEVEL_*).
participation_rules.add_rule("propose", _level_for("propose"))
participation_rules.add_rule("support", _level_for("support"))
participation_rules.add_rule("comment", _level_for("comment"))
participation_rules.add_rule("report", _level_for("report"))
participation_rules.add_rule("follow", rules.is_authenticated)
participation_rules.add_rule("edit_proposal", is_proposal_author & proposal_has_no_supports)
participation_rules.add_rule("answer_proposal", is_superuser | is_moderator)
participation_rules.add_rule("moderate", is_superuser | is_moderator)
participation_rules.add_rule("use_complaint_queue", is_superuser | is_officer | is_transparency)
participation_rules.add_rule(
    "handle_complaint",
    is_superuser | (is_officer & officer_of_complaint_unit) | (is_transparency & complaint_is_denuncia),
)


def level_refusal(action: str) -> str:
    """Why an account may not ``action`` yet, in the words of the level the municipality asks for."""
    doing = {
        "propose": _("presentar propuestas"),
        "support": _("apoyar propuestas"),
        "comment": _("comentar"),
        "report": _("reportar contenido"),
    }[action]
    if _action_level(action) == "identity":
        return _("Verifica tu identidad con %(provider)s para %(action)s.") % {
            "provider": settings.OIDC_BUTTON_LABEL,
            "action": doing,
        }
    return _("Confirma tu correo electrónico para %(action)s.") % {"action": doing}


def can(user, permission: str, obj=None) -> bool:
    return participation_rules.test_rule(permission, user, obj)


def complaints_visible_filter(user) -> Q | None:
    """The same rule as ``handle_complaint`` as a queryset filter (None: nothing visible)."""
    if not user or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Q()
    condition = Q(pk__in=[])
    if is_officer(user):
        condition |= Q(unit__memberships__user_id=user.pk) & ~Q(kind="denuncia")
    if is_transparency(user):
        condition |= Q(kind="denuncia")
    return condition
