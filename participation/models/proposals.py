from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel
from wagtail.search import index
from wagtail.snippets.models import register_snippet


class Moderation(models.TextChoices):
    VISIBLE = "visible", _("visible")
    HIDDEN = "hidden", _("oculta hasta que moderación decida")
    REMOVED = "removed", _("retirada por moderación")


@register_snippet
class ProposalCategory(models.Model):
    name = models.CharField(_("nombre"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("categoría de propuestas")
        verbose_name_plural = _("categorías de propuestas")

    def __str__(self) -> str:
        return self.name


class ProposalQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(moderation=Moderation.VISIBLE)

    def sorted_by(self, sort: str):
        if sort == "apoyos":
            return self.order_by("-support_count", "-created_at", "-pk")
        return self.order_by("-created_at", "-pk")


class Proposal(index.Indexed, models.Model):
    class Status(models.TextChoices):
        PUBLISHED = "published", _("publicada")
        THRESHOLD_REACHED = "threshold_reached", _("alcanzó apoyos")
        EVALUATING = "evaluating", _("en evaluación")
        ACCEPTED = "accepted", _("aceptada")
        REJECTED = "rejected", _("rechazada")
        IN_PROGRESS = "in_progress", _("en ejecución")
        IMPLEMENTED = "implemented", _("implementada")

    Moderation = Moderation

    title = models.CharField(_("título"), max_length=150)
    body = models.TextField(_("descripción"))
    category = models.ForeignKey(ProposalCategory, verbose_name=_("categoría"), on_delete=models.PROTECT)
    district = models.ForeignKey(
        "participation.District", verbose_name=_("distrito"), null=True, blank=True, on_delete=models.SET_NULL
    )
    image = models.ImageField(_("imagen"), upload_to="propuestas/", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("autor"), on_delete=models.PROTECT, related_name="proposals"
    )
    status = models.CharField(_("estado"), max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    status_reason = models.TextField(_("motivo"), blank=True)
    official_answer = models.TextField(_("respuesta oficial"), blank=True)
    answered_at = models.DateTimeField(_("respondida el"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    support_count = models.PositiveIntegerField(_("apoyos"), default=0)
    # Of those, the supports of accounts whose identity the provider proved (Support.level).
    identity_support_count = models.PositiveIntegerField(_("apoyos con identidad verificada"), default=0)
    moderation = models.CharField(
        _("moderación"), max_length=10, choices=Moderation.choices, default=Moderation.VISIBLE
    )
    created_at = models.DateTimeField(_("creada el"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("actualizada el"), auto_now=True)

    tags = TaggableManager(through="participation.ProposalTag", blank=True, verbose_name=_("etiquetas"))

    objects = ProposalQuerySet.as_manager()

    search_fields = [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.SearchField("body"),
        index.FilterField("moderation"),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("propuesta")
        verbose_name_plural = _("propuestas")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("participation:proposal_detail", args=[self.pk])


class ProposalTag(TaggedItemBase):
    content_object = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="tagged_items")


class Support(models.Model):
    """One support per user and proposal: the database enforces it.

    ``level`` is the supporter's verification level ("email" or "identity"); it
    rises when the account later proves its identity (services.supports_relevel),
    and the proposal's per-level counters follow it.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_supports")
    level = models.CharField(_("nivel"), max_length=10, default="email")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="participation_support_once")]
        verbose_name = _("apoyo")
        verbose_name_plural = _("apoyos")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.proposal_id}"


# How many rows a proposal's support counters are spread over (a support counts in row user id mod this).
SUPPORT_SHARDS = 16


class SupportTally(models.Model):
    """A proposal's support counters, spread over ``SUPPORT_SHARDS`` rows.

    The exact counts are the sums of a proposal's rows. A support moves one row (the
    supporter's: user id modulo ``SUPPORT_SHARDS``), so supports arriving together for
    one proposal wait for each other's commit only when they fall in the same row,
    instead of all queueing on the proposal's own row. ``Proposal.support_count`` and
    ``identity_support_count`` are copies of the sums, for listing and sorting: the
    support's own statement refreshes them when nobody else holds the proposal's row,
    and the worker's poll ``participation.support_counts`` (PostgreSQL only) refreshes what a busy moment
    left behind (``services.support_counts_rollup``).
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="+", db_index=False)
    shard = models.PositiveSmallIntegerField()
    count = models.IntegerField(default=0)
    identity_count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "shard"], name="participation_support_tally_row")]
        verbose_name = _("recuento de apoyos")
        verbose_name_plural = _("recuentos de apoyos")

    def __str__(self) -> str:
        return f"{self.proposal_id}/{self.shard}: {self.count}"


class Follow(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_follows")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "user"], name="participation_follow_once")]
        verbose_name = _("seguimiento de propuesta")
        verbose_name_plural = _("seguimientos de propuestas")

    def __str__(self) -> str:
        return f"{self.user_id} → {self.proposal_id}"


class CommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(moderation=Moderation.VISIBLE)


class Comment(models.Model):
    """A one-level comment on a proposal."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_comments")
    body = models.TextField(_("comentario"))
    moderation = models.CharField(
        _("moderación"), max_length=10, choices=Moderation.choices, default=Moderation.VISIBLE
    )
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comentario")
        verbose_name_plural = _("comentarios")

    def __str__(self) -> str:
        return self.body[:60]


class ModerationDecision(models.Model):
    """What happened to reported content, by whom and why: the moderation's record.

    An automatic hiding (enough counted reports) has no moderator; a restore
    always has one and a reason.
    """

    class Action(models.TextChoices):
        AUTO_HIDE = "auto_hide", _("ocultada automáticamente por reportes")
        RESTORE = "restore", _("restablecida")
        REMOVE = "remove", _("retirada")

    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_decisions"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="moderation_decisions"
    )
    action = models.CharField(_("acción"), max_length=10, choices=Action.choices)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderador"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField(_("motivo"), blank=True)
    created_at = models.DateTimeField(_("fecha"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(proposal__isnull=False, comment__isnull=True) | Q(proposal__isnull=True, comment__isnull=False)
                ),
                name="participation_decision_one_target",
            ),
        ]
        verbose_name = _("decisión de moderación")
        verbose_name_plural = _("decisiones de moderación")

    def __str__(self) -> str:
        return f"{self.proposal_id or self.comment_id}: {self.action}"


class ContentReport(models.Model):
    """A user's report of a proposal or a comment; unresolved reports count towards hiding.

    Only reports of accounts at the level the report action needs count (one
    per account, by the unique constraints), so a handful of throwaway accounts
    cannot hide anything; the decision that resolved a report is kept.
    """

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    proposal = models.ForeignKey(Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(_("motivo"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    decision = models.ForeignKey(
        ModerationDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(proposal__isnull=False, comment__isnull=True) | Q(proposal__isnull=True, comment__isnull=False)
                ),
                name="participation_report_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "proposal"],
                condition=Q(comment__isnull=True),
                name="participation_report_proposal_once",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(comment__isnull=False),
                name="participation_report_comment_once",
            ),
        ]
        verbose_name = _("reporte de contenido")
        verbose_name_plural = _("reportes de contenido")

    def __str__(self) -> str:
        return f"{self.proposal_id or self.comment_id}: {self.reason[:40]}"
