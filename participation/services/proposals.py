from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ayni.notifications import Message, notify
from participation import realtime, selectors
from participation.models import (
    Comment,
    ContentReport,
    Follow,
    ModerationDecision,
    Proposal,
    ProposalCategory,
    Support,
)
from participation.models.accounts import LEVEL_EMAIL, LEVEL_IDENTITY
from participation.models.places import District
from participation.notifications import recipient_for_user
from participation.rules import account_level, can, level_refusal
from participation.text import plain_text, single_line
from participation.uploads import clean_upload

from .common import rate_limit, require_length

IMAGE_TYPES = {"image/jpeg": "jpg", "image/png": "png"}
TITLE_MAX = 150
COMMENT_MAX = 2000
MAX_TAGS = 5


def _clean_fields(*, title: str, body: str, tags: list[str]) -> tuple[str, str, list[str]]:
    title = single_line(title)
    body = plain_text(body)
    require_length("title", title, maximum=TITLE_MAX, minimum=5)
    require_length("body", body, maximum=settings.AYNI_PROPOSAL_BODY_MAX, minimum=20)
    cleaned_tags = []
    for tag in tags or []:
        tag = single_line(tag).lower()[:40]
        if tag and tag not in cleaned_tags:
            cleaned_tags.append(tag)
    if len(cleaned_tags) > MAX_TAGS:
        raise ValidationError({"tags": _("Puedes usar como máximo %(n)d etiquetas.") % {"n": MAX_TAGS}})
    return title, body, cleaned_tags


@transaction.atomic
def proposal_create(
    *,
    author,
    title: str,
    body: str,
    category: ProposalCategory,
    district: District | None = None,
    tags: list[str] | None = None,
    image=None,
    client: str,
) -> Proposal:
    if not can(author, "propose"):
        raise PermissionDenied(level_refusal("propose"))
    title, body, tags = _clean_fields(title=title, body=body, tags=tags or [])
    picture = clean_upload(image, allowed=IMAGE_TYPES) if image else None
    rate_limit(scope="proposal", client=client)
    proposal = Proposal.objects.create(author=author, title=title, body=body, category=category, district=district)
    if picture:
        proposal.image.save(picture.content.name, picture.content, save=True)
    if tags:
        proposal.tags.set(tags)
    Follow.objects.get_or_create(proposal=proposal, user=author)
    return proposal


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    user,
    title: str,
    body: str,
    category: ProposalCategory,
    district: District | None = None,
    tags: list[str] | None = None,
) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not can(user, "edit_proposal", proposal):
        raise PermissionDenied(_("Solo el autor puede editar la propuesta, y solo hasta que reciba su primer apoyo."))
    title, body, tags = _clean_fields(title=title, body=body, tags=tags or [])
    proposal.title, proposal.body, proposal.category, proposal.district = title, body, category, district
    proposal.save()
    proposal.tags.set(tags)
    return proposal


def _publish_count(proposal_id: int, count: int, identity_count: int) -> None:
    """The live count goes out once the change is committed (at once outside a transaction)."""
    transaction.on_commit(
        lambda: realtime.broadcast_support_count(proposal_id=proposal_id, count=count, identity_count=identity_count)
    )


# The counter the threshold level names (a fixed column name, never anything typed by anyone).
THRESHOLD_COLUMNS = {LEVEL_EMAIL: "support_count", LEVEL_IDENTITY: "identity_support_count"}


def threshold_column() -> str:
    """The counter that the threshold level staff chose counts (``selectors.threshold_level()``)."""
    return THRESHOLD_COLUMNS.get(selectors.threshold_level(), "identity_support_count")


@transaction.atomic
def proposals_threshold_recheck(*, level: str | None = None) -> int:
    """The threshold's level changed (to ``level``; by default the current one): published
    proposals that reach the threshold now, counted at that level, reach it at once
    instead of at their next support.

    A proposal that reached it before keeps that status (as it does when a support is
    withdrawn): reaching the threshold is a step in the proposal's life, not a live figure.
    Returns how many proposals reached it.
    """
    column = THRESHOLD_COLUMNS.get(level, "identity_support_count") if level else threshold_column()
    return Proposal.objects.filter(
        status=Proposal.Status.PUBLISHED, **{f"{column}__gte": settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD}
    ).update(status=Proposal.Status.THRESHOLD_REACHED)


def _support_write(*, proposal_id: int, user_id: int, add: bool, level: str = LEVEL_EMAIL) -> tuple[int, int, bool]:
    """Insert (or delete) the support and move the counters in one atomic step.

    Returns (count, identity count, changed). PostgreSQL: one statement, so one
    round trip and its own transaction: the insert is ``ON CONFLICT DO NOTHING``
    (the unique constraint decides, even under concurrency) and the counters'
    ``UPDATE`` runs only if a row was inserted (or deleted), taking the
    proposal's row lock; reaching the threshold (counted at ``selectors.threshold_level()``)
    changes the status in the same ``UPDATE``. A withdrawal takes back the
    level the deleted row had. Elsewhere (SQLite, which serialises writers
    anyway) the same two statements in a transaction.
    """
    supports, proposals = Support._meta.db_table, Proposal._meta.db_table
    if add:
        # The NOT EXISTS lets a repeat end without writing anything (no transaction id,
        # so its commit waits for no disk flush); ON CONFLICT settles concurrent firsts.
        change = (
            f"INSERT INTO {supports} (proposal_id, user_id, level, created_at) SELECT %s, %s, %s, %s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {supports} WHERE proposal_id = %s AND user_id = %s) "
            "ON CONFLICT (proposal_id, user_id) DO NOTHING"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        change_params = [proposal_id, user_id, level, now, proposal_id, user_id]
        counted = threshold_column()
        counter = (
            f"UPDATE {proposals} SET support_count = support_count + 1, "
            "identity_support_count = identity_support_count + %s, "
            f"status = CASE WHEN status = %s AND {counted} + %s >= %s THEN %s ELSE status END "
            "WHERE id = %s"
        )
        identity_step = 1 if level == LEVEL_IDENTITY else 0
        counter_params = [
            identity_step,
            Proposal.Status.PUBLISHED.value,
            identity_step if counted == "identity_support_count" else 1,
            settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD,
            Proposal.Status.THRESHOLD_REACHED.value,
            proposal_id,
        ]
    else:
        change = f"DELETE FROM {supports} WHERE proposal_id = %s AND user_id = %s"
        change_params = [proposal_id, user_id]
        # The identity step is the deleted row's own level: read in the same statement on
        # PostgreSQL (from the CTE), passed in after the DELETE elsewhere.
        step = "(SELECT COUNT(*) FROM changed WHERE level = %s)" if connection.vendor == "postgresql" else "%s"
        counter = (
            f"UPDATE {proposals} SET support_count = support_count - 1, "
            f"identity_support_count = identity_support_count - {step} WHERE id = %s"
        )
        counter_params = [LEVEL_IDENTITY, proposal_id]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH changed AS ({change} RETURNING level), "
                f"counted AS ({counter} AND EXISTS (SELECT 1 FROM changed) "
                "RETURNING support_count, identity_support_count) "
                "SELECT (SELECT support_count FROM counted), (SELECT identity_support_count FROM counted), "
                f"support_count, identity_support_count FROM {proposals} WHERE id = %s",
                [*change_params, *counter_params, proposal_id],
            )
            new_count, new_identity, old_count, old_identity = cursor.fetchone()
            if new_count is None:
                return old_count, old_identity, False
            return new_count, new_identity, True
        with transaction.atomic(using=connection.alias):
            cursor.execute(f"{change} RETURNING level", change_params)
            rows = cursor.fetchall()
            if len(rows) != 1:
                cursor.execute(
                    f"SELECT support_count, identity_support_count FROM {proposals} WHERE id = %s", [proposal_id]
                )
                count, identity = cursor.fetchone()
                return count, identity, False
            if not add:
                counter_params = [1 if rows[0][0] == LEVEL_IDENTITY else 0, proposal_id]
            cursor.execute(f"{counter} RETURNING support_count, identity_support_count", counter_params)
            count, identity = cursor.fetchone()
            return count, identity, True


def proposal_support(*, proposal: Proposal, user, client: str = "") -> tuple[int, bool]:
    """Support once. The unique constraint makes it exact under concurrency; returns (count, created).

    The support keeps the supporter's level (e-mail or identity), so that the page
    shows supports by level and the threshold counts the level staff chose (``selectors.threshold_level()``).
    """
    if not can(user, "support"):
        raise PermissionDenied(level_refusal("support"))
    if proposal.moderation != Proposal.Moderation.VISIBLE:
        raise ValidationError(_("Esta propuesta no admite apoyos en este momento."))
    rate_limit(scope="support", client=client)
    level = LEVEL_IDENTITY if account_level(user) == LEVEL_IDENTITY else LEVEL_EMAIL
    count, identity_count, created = _support_write(proposal_id=proposal.pk, user_id=user.pk, add=True, level=level)
    if created:
        _publish_count(proposal.pk, count, identity_count)
    return count, created


def proposal_withdraw_support(*, proposal: Proposal, user, client: str = "") -> tuple[int, bool]:
    rate_limit(scope="support", client=client)
    count, identity_count, deleted = _support_write(proposal_id=proposal.pk, user_id=user.pk, add=False)
    if deleted:
        _publish_count(proposal.pk, count, identity_count)
    return count, deleted


@transaction.atomic
def supports_relevel(*, user_id: int) -> int:
    """An account has just proven its identity: its supports count at that level from now on.

    Each support still at the e-mail level moves up (one ``UPDATE … RETURNING``, so a
    support withdrawn meanwhile is not counted), its proposal's identity counter
    follows, a proposal that now reaches the threshold at the identity level changes
    status, and the live counts go out after commit. Returns how many supports moved.
    """
    supports = Support._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {supports} SET level = %s WHERE user_id = %s AND level = %s RETURNING proposal_id",
            [LEVEL_IDENTITY, user_id, LEVEL_EMAIL],
        )
        proposal_ids = sorted({row[0] for row in cursor.fetchall()})
    if not proposal_ids:
        return 0
    Proposal.objects.filter(pk__in=proposal_ids).update(identity_support_count=F("identity_support_count") + 1)
    if threshold_column() == "identity_support_count":
        Proposal.objects.filter(
            pk__in=proposal_ids,
            status=Proposal.Status.PUBLISHED,
            identity_support_count__gte=settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD,
        ).update(status=Proposal.Status.THRESHOLD_REACHED)
    for pk, count, identity_count in Proposal.objects.filter(pk__in=proposal_ids).values_list(
        "pk", "support_count", "identity_support_count"
    ):
        _publish_count(pk, count, identity_count)
    return len(proposal_ids)


@transaction.atomic
def proposal_follow(*, proposal: Proposal, user) -> Follow:
    if not can(user, "follow"):
        raise PermissionDenied(_("Ingresa con tu cuenta para seguir propuestas."))
    follow, _created = Follow.objects.get_or_create(proposal=proposal, user=user)
    return follow


@transaction.atomic
def proposal_unfollow(*, proposal: Proposal, user) -> None:
    Follow.objects.filter(proposal=proposal, user=user).delete()


ANSWER_STATUSES = (
    Proposal.Status.EVALUATING,
    Proposal.Status.ACCEPTED,
    Proposal.Status.REJECTED,
    Proposal.Status.IN_PROGRESS,
    Proposal.Status.IMPLEMENTED,
)


@transaction.atomic
def proposal_answer(*, proposal: Proposal, user, status: str, answer: str = "", reason: str = "") -> Proposal:
    """Official answer and/or status from staff; followers are notified."""
    if not can(user, "answer_proposal"):
        raise PermissionDenied(_("No tienes permiso para responder propuestas."))
    if status not in ANSWER_STATUSES:
        raise ValidationError({"status": _("Elige un estado válido.")})
    answer, reason = plain_text(answer), plain_text(reason)
    if status == Proposal.Status.REJECTED and not reason:
        raise ValidationError({"reason": _("Indica el motivo del rechazo.")})
    require_length("answer", answer, maximum=5000, minimum=0)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    changed = proposal.status != status
    proposal.status = status
    proposal.status_reason = reason if status == Proposal.Status.REJECTED else ""
    if answer:
        proposal.official_answer = answer
        proposal.answered_at = timezone.now()
        proposal.answered_by = user
    proposal.save()
    if changed or answer:
        followers = proposal.follows.select_related("user__participation_profile")
        notify(
            recipients=[recipient_for_user(f.user) for f in followers],
            message=Message(
                event="proposal_answer",
                subject=_("Novedades en la propuesta «%(title)s»") % {"title": proposal.title[:80]},
                body=_("Estado: %(status)s.") % {"status": proposal.get_status_display()}
                + (f"\n\n{answer}" if answer else "")
                + (f"\n\n{_('Motivo')}: {reason}" if proposal.status_reason else ""),
                url=proposal.get_absolute_url(),
            ),
        )
    return proposal


@transaction.atomic
def comment_create(*, proposal: Proposal, author, body: str, client: str) -> Comment:
    if not can(author, "comment"):
        raise PermissionDenied(level_refusal("comment"))
    body = plain_text(body)
    require_length("body", body, maximum=COMMENT_MAX, minimum=2)
    if proposal.moderation != Proposal.Moderation.VISIBLE:
        raise ValidationError(_("Esta propuesta no admite comentarios en este momento."))
    rate_limit(scope="comment", client=client)
    return Comment.objects.create(proposal=proposal, author=author, body=body)


@transaction.atomic
def content_report(
    *, user, proposal: Proposal | None = None, comment: Comment | None = None, reason: str = "", client: str
) -> bool:
    """Report a proposal or comment; returns created.

    Once AYNI_REPORTS_TO_HIDE different accounts at the report level have open
    reports on it, the content is hidden until a moderator decides, and the
    hiding is recorded (ModerationDecision, without moderator).
    """
    if not can(user, "report"):
        raise PermissionDenied(level_refusal("report"))
    if (proposal is None) == (comment is None):
        raise ValidationError(_("Indica qué contenido reportas."))
    reason = single_line(reason)[:500]
    rate_limit(scope="report", client=client)
    target = proposal or comment
    try:
        with transaction.atomic():
            ContentReport.objects.create(reporter=user, proposal=proposal, comment=comment, reason=reason)
    except IntegrityError:
        return False
    people = selectors.counted_reports(target=target).values("reporter_id").distinct().count()
    if people >= settings.AYNI_REPORTS_TO_HIDE and _moderation_set(
        target, Proposal.Moderation.HIDDEN, only_if=Proposal.Moderation.VISIBLE
    ):
        ModerationDecision.objects.create(
            proposal=proposal,
            comment=comment,
            action=ModerationDecision.Action.AUTO_HIDE,
            reason=_("%(count)d reportes de personas distintas con cuenta verificada.") % {"count": people},
        )
    return True


def _moderation_set(target: Proposal | Comment, state: str, *, only_if: str | None = None) -> bool:
    """Change the moderation state with a real save, so post_save reaches the search.

    A ``QuerySet.update()`` would leave the search document, the suggestions and
    the vocabulary showing hidden content; the save's signal drops the document
    on commit (``cms.publishing`` → ``search.services.object_search_sync``).
    The row is locked first, so concurrent reports and decisions serialise.
    """
    locked = type(target).objects.select_for_update().filter(pk=target.pk).first()
    if locked is None or (only_if is not None and locked.moderation != only_if) or locked.moderation == state:
        return False
    locked.moderation = state
    locked.save(update_fields=["moderation"])
    target.moderation = state
    return True


@transaction.atomic
def moderation_decide(
    *,
    moderator,
    proposal: Proposal | None = None,
    comment: Comment | None = None,
    keep: bool,
    reason: str = "",
) -> ModerationDecision:
    """A moderator restores (keep=True) or removes reported content; open reports are resolved.

    The decision is recorded with its moderator and reason (a restore needs a
    reason), and the reports it resolved point to it.
    """
    if not can(moderator, "moderate"):
        raise PermissionDenied(_("No tienes permiso para moderar."))
    target = proposal or comment
    if target is None:
        raise ValidationError(_("Indica qué contenido moderas."))
    reason = plain_text(reason or "")
    require_length("reason", reason, maximum=2000, minimum=0)
    if keep and not reason:
        raise ValidationError({"reason": _("Indica por qué restableces el contenido.")})
    state = Proposal.Moderation.VISIBLE if keep else Proposal.Moderation.REMOVED
    _moderation_set(target, state)
    decision = ModerationDecision.objects.create(
        proposal=proposal,
        comment=comment,
        action=ModerationDecision.Action.RESTORE if keep else ModerationDecision.Action.REMOVE,
        moderator=moderator,
        reason=reason,
    )
    target.reports.filter(resolved_at__isnull=True).update(resolved_at=timezone.now(), decision=decision)
    return decision
