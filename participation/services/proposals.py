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
    SupportTally,
)
from participation.models.accounts import LEVEL_EMAIL, LEVEL_IDENTITY
from participation.models.places import District
from participation.models.proposals import SUPPORT_SHARDS
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


# Advisory-lock class of "a support is refreshing this proposal's copy of its counts"
# (pg_try_advisory_xact_lock(class, proposal id); PostgreSQL only).
ROLLUP_LOCK_CLASS = 0x41594E49  # "AYNI"


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
    """Insert (or delete) the support and move its counter row in one atomic step.

    Returns (count, identity count, changed). The counters live in ``SupportTally``:
    the support moves its own row (user id modulo ``SUPPORT_SHARDS``), so supports
    arriving together for one proposal do not queue on one row lock.

    PostgreSQL: one statement, so one round trip and its own transaction. The insert
    is ``ON CONFLICT DO NOTHING`` (the unique constraint decides, even under
    concurrency); the counter row moves only if a support was inserted (or deleted);
    the proposal's copies of the sums (and the status, when the support reaches the
    threshold counted at ``selectors.threshold_level()``) are refreshed in the same
    statement unless another support is refreshing them at that moment (a
    transaction-scoped advisory lock per proposal, tried without waiting): then the
    worker's poll refreshes them (``support_counts_rollup``). No support ever waits
    for another's commit on the proposal's row.
    The returned counts are the sums as the statement saw them; under a burst they
    may trail by the supports still being committed, and the next live count catches up.
    Elsewhere (SQLite, which serialises writers anyway) three statements in a
    transaction (two for a repeat), and the copies are always exact.
    """
    supports, proposals, tally = Support._meta.db_table, Proposal._meta.db_table, SupportTally._meta.db_table
    if add:
        # The NOT EXISTS lets a repeat end without writing anything (no transaction id,
        # so its commit waits for no disk flush); ON CONFLICT settles concurrent firsts.
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        change = (
            f"INSERT INTO {supports} (proposal_id, user_id, level, created_at) SELECT %s, %s, %s, %s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {supports} WHERE proposal_id = %s AND user_id = %s) "
            "ON CONFLICT (proposal_id, user_id) DO NOTHING RETURNING level"
        )
        change_params = [proposal_id, user_id, level, now, proposal_id, user_id]
    else:
        change = f"DELETE FROM {supports} WHERE proposal_id = %s AND user_id = %s RETURNING level"
        change_params = [proposal_id, user_id]
    sign = 1 if add else -1
    shard = user_id % SUPPORT_SHARDS
    tally_upsert = (
        f"INSERT INTO {tally} (proposal_id, shard, count, identity_count) {{rows}} "
        f"ON CONFLICT (proposal_id, shard) DO UPDATE SET count = {tally}.count + excluded.count, "
        f"identity_count = {tally}.identity_count + excluded.identity_count"
    )
    # Reaching the threshold changes the status; a withdrawal never takes it back.
    reached = "status = CASE WHEN status = %s AND {counted} >= %s THEN %s ELSE status END" if add else "status = status"
    reached_params = (
        [
            Proposal.Status.PUBLISHED.value,
            settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD,
            Proposal.Status.THRESHOLD_REACHED.value,
        ]
        if add
        else []
    )
    counted_identity = threshold_column() == "identity_support_count"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH changed AS ({change}), "
                "step AS (SELECT COUNT(*) AS n, COUNT(*) FILTER (WHERE level = %s) AS ni FROM changed), "
                "tallied AS ("
                + tally_upsert.format(rows="SELECT %s, %s, %s * n, %s * ni FROM step WHERE n > 0")
                + "), "
                "totals AS (SELECT sums.n + %s * step.n AS n, sums.ni + %s * step.ni AS ni, step.n AS changed "
                f"FROM step, (SELECT COALESCE(SUM(count), 0) AS n, COALESCE(SUM(identity_count), 0) AS ni "
                f"FROM {tally} WHERE proposal_id = %s) AS sums), "
                f"rolled AS (UPDATE {proposals} SET support_count = totals.n, identity_support_count = totals.ni, "
                + reached.format(counted="totals.ni" if counted_identity else "totals.n")
                + f" FROM totals WHERE {proposals}.id = %s AND CASE WHEN totals.changed > 0 "  # a repeat locks nothing
                f"THEN pg_try_advisory_xact_lock({ROLLUP_LOCK_CLASS}, {proposals}.id::integer) ELSE false END) "
                # A data-modifying CTE runs to completion whether or not the query reads it.
                "SELECT n, ni, changed FROM totals",
                [
                    *change_params,
                    LEVEL_IDENTITY,
                    proposal_id,
                    shard,
                    sign,
                    sign,
                    sign,
                    sign,
                    proposal_id,
                    *reached_params,
                    proposal_id,
                ],
            )
            count, identity, changed = cursor.fetchone()
            return count, identity, bool(changed)
        with transaction.atomic(using=connection.alias):
            cursor.execute(change, change_params)
            rows = cursor.fetchall()
            if len(rows) == 1:
                identity_step = 1 if rows[0][0] == LEVEL_IDENTITY else 0
                cursor.execute(
                    tally_upsert.format(rows="VALUES (%s, %s, %s, %s)"),
                    [proposal_id, shard, sign, sign * identity_step],
                )
                sums = f"(SELECT COALESCE(SUM({{column}}), 0) FROM {tally} WHERE proposal_id = {proposal_id:d})"
                cursor.execute(
                    f"UPDATE {proposals} SET support_count = {sums.format(column='count')}, "
                    f"identity_support_count = {sums.format(column='identity_count')}, "
                    + reached.format(counted=sums.format(column="identity_count" if counted_identity else "count"))
                    + " WHERE id = %s RETURNING support_count, identity_support_count",
                    [*reached_params, proposal_id],
                )
            else:
                cursor.execute(
                    f"SELECT support_count, identity_support_count FROM {proposals} WHERE id = %s", [proposal_id]
                )
            count, identity = cursor.fetchone()
            return count, identity, len(rows) == 1


@transaction.atomic
def support_counts_rollup(*, proposal_ids=None) -> int:
    """Bring the proposals' copies of their support counts up to the sums of their counter rows.

    The poll ``participation.support_counts`` runs it in the worker every few seconds:
    a support that found the proposal's row busy left its copy behind. It also
    changes the status of a proposal that reached the threshold meanwhile, and sends
    the live counts it changed after commit. One ``UPDATE``, which touches only the
    proposals whose copies differ; safe to run in several workers at once. Returns
    how many proposals it changed.
    """
    proposals, tally = Proposal._meta.db_table, SupportTally._meta.db_table
    counted = "sums.ni" if threshold_column() == "identity_support_count" else "sums.n"
    where, params = "", []
    if proposal_ids is not None:
        ids = [int(pk) for pk in proposal_ids]
        if not ids:
            return 0
        where, params = f"WHERE proposal_id IN ({', '.join(['%s'] * len(ids))}) ", ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {proposals} SET support_count = sums.n, identity_support_count = sums.ni, "
            f"status = CASE WHEN status = %s AND {counted} >= %s THEN %s ELSE status END "
            f"FROM (SELECT proposal_id, SUM(count) AS n, SUM(identity_count) AS ni FROM {tally} {where}"
            "GROUP BY proposal_id) AS sums "
            f"WHERE {proposals}.id = sums.proposal_id AND ({proposals}.support_count <> sums.n "
            f"OR {proposals}.identity_support_count <> sums.ni OR ({proposals}.status = %s AND {counted} >= %s)) "
            f"RETURNING id, support_count, identity_support_count",
            [
                Proposal.Status.PUBLISHED.value,
                settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD,
                Proposal.Status.THRESHOLD_REACHED.value,
                *params,
                Proposal.Status.PUBLISHED.value,
                settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD,
            ],
        )
        changed = cursor.fetchall()
    for pk, count, identity in changed:
        _publish_count(pk, count, identity)
    return len(changed)


def support_counts_poll() -> int:
    """The worker's poll ``participation.support_counts``: only PostgreSQL leaves copies
    behind (on SQLite every support keeps them exact, and an idle poll must not take
    SQLite's write lock every two seconds)."""
    if connection.vendor != "postgresql":
        return 0
    return support_counts_rollup()


@transaction.atomic
def support_tallies_rebuild(*, proposal_ids) -> int:
    """Count the given proposals' supports again from the supports themselves (after a
    bulk load that wrote supports directly, as the demo loader does), then refresh
    their copies. Returns how many proposals changed."""
    ids = [int(pk) for pk in proposal_ids]
    SupportTally.objects.filter(proposal_id__in=ids).delete()
    rows: dict[tuple[int, int], list[int]] = {}
    for proposal_id, user_id, level in Support.objects.filter(proposal_id__in=ids).values_list(
        "proposal_id", "user_id", "level"
    ):
        row = rows.setdefault((proposal_id, user_id % SUPPORT_SHARDS), [0, 0])
        row[0] += 1
        row[1] += level == LEVEL_IDENTITY
    SupportTally.objects.bulk_create(
        [SupportTally(proposal_id=p, shard=s, count=n, identity_count=i) for (p, s), (n, i) in rows.items()]
    )
    Proposal.objects.filter(pk__in=ids).exclude(pk__in={p for p, _s in rows}).update(
        support_count=0, identity_support_count=0
    )
    return support_counts_rollup(proposal_ids=ids)


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
    SupportTally.objects.filter(proposal_id__in=proposal_ids, shard=user_id % SUPPORT_SHARDS).update(
        identity_count=F("identity_count") + 1
    )
    support_counts_rollup(proposal_ids=proposal_ids)
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
