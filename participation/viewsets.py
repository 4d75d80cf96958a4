"""Staff screens of participation as native Wagtail listings (issue 13, item 1).

The complaint queue, the proposal list and the moderation of reported
comments are ``ModelViewSet`` index views: django-filter filters
(``participation.filters``) that survive paging and sorting, a search box,
sortable columns, CSV/XLSX export (Wagtail's spreadsheet export) and bulk
actions (``participation.bulk_actions``). Only the listings are served: each
row links to the existing custom screens (the complaint's detail, the official
answer, the proposal in context), and every write goes through
``participation.services``.

Who sees what is decided by ``participation.rules`` alone, through permission
policies registered for the models: the complaint queue starts from
``selectors.complaints_visible_to`` (a case worker sees only the cases of their
units, on the page and in the export alike).
"""

from __future__ import annotations

from collections import OrderedDict

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn, Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import BasePermissionPolicy

from participation import selectors
from participation.filters import ComplaintFilterSet, ProposalFilterSet, ReportedCommentFilterSet
from participation.models import Comment, Complaint, Proposal
from participation.models.complaints import ComplaintAttachment
from participation.models.proposals import Moderation
from participation.rules import can

# --- permission policies: the rules of participation.rules, as Wagtail asks them ------------------


class RulePermissionPolicy(BasePermissionPolicy):
    """Only "view" (the listing); nothing is added, edited or deleted through these screens."""

    rule = ""

    def user_has_permission(self, user, action):
        return action == "view" and can(user, self.rule)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return get_user_model().objects.none()


class ComplaintPolicy(RulePermissionPolicy):
    rule = "use_complaint_queue"

    def user_has_permission_for_instance(self, user, action, instance):
        return action == "view" and can(user, "handle_complaint", instance)

    def instances_user_has_any_permission_for(self, user, actions):
        if "view" not in actions:
            return Complaint.objects.none()
        return selectors.complaints_visible_to(user=user)


class ProposalPolicy(RulePermissionPolicy):
    rule = "answer_proposal"


class CommentPolicy(RulePermissionPolicy):
    rule = "moderate"


# --- shared pieces ---------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """Text typed by residents never starts a formula when the CSV is opened in a spreadsheet."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def yes_no(value) -> str:
    return str(_("sí")) if value else str(_("no"))


class ExportColumnsMixin:
    """``export_columns`` = [(key, heading, function of the row)], for the spreadsheet export."""

    export_columns: list = []

    @cached_property
    def list_export(self):
        return [key for key, _heading, _get in self.export_columns]

    @cached_property
    def export_headings(self):
        return {key: heading for key, heading, _get in self.export_columns}

    def to_row_dict(self, item):
        return OrderedDict((key, get(item)) for key, _heading, get in self.export_columns)

    def get_preprocess_function(self, field, value, export_format):
        if isinstance(value, str) and export_format == self.FORMAT_CSV:
            return spreadsheet_safe
        return super().get_preprocess_function(field, value, export_format)


class SearchPlaceholderMixin:
    """The search box says what it searches, and the empty listing says why, in the admin's language
    (Wagtail 8's "Search…" and "There are no …" have no Spanish yet)."""

    search_placeholder = _("Buscar…")
    empty_message = _("No hay nada que mostrar.")
    no_match_message = _("Nada coincide con la búsqueda o los filtros.")

    @cached_property
    def no_results_message(self):
        return self.no_match_message if (self.is_searching or self.is_filtering) else self.empty_message

    def get_search_form(self):
        if not self.is_searchable:
            return None
        data = self.request.GET if self.search_kwarg in self.request.GET else None
        return SearchForm(data, placeholder=self.search_placeholder)


class StableOrderingMixin:
    """Ties are broken by the primary key, so that no row is on two pages or on none."""

    def order_queryset(self, queryset):
        queryset = super().order_queryset(queryset)
        ordering = list(queryset.query.order_by)
        if not any(field.lstrip("-") in ("pk", "id") for field in ordering if isinstance(field, str)):
            queryset = queryset.order_by(*ordering, "pk")
        return queryset


class ListingOnlyViewSet(ModelViewSet):
    """A viewset that serves the listing (and its results fragment) and nothing else."""

    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = False
    sort_order_field = None
    search_backend_name = None  # the database's own search (icontains) over ``search_fields``

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
        ]

    def get_permissions_to_register(self):
        # Access comes from the role groups (participation.rules), not from model permissions.
        return Permission.objects.none()

    def register_admin_url_finder(self):
        pass


# --- the complaint queue ----------------------------------------------------------------------------


def complaint_url(complaint: Complaint) -> str:
    return reverse("participation_admin:complaint", args=[complaint.pk])


def staff_name(user) -> str:
    """A short name for a listing cell: the full name, else the username without its domain."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username().split("@")[0]


def _reporter(complaint: Complaint) -> str:
    if complaint.anonymous:
        return str(_("Anónimo"))
    if complaint.user_id or complaint.contact_email or complaint.contact_whatsapp:
        return str(_("Con contacto"))
    return str(_("Sin contacto"))


class ComplaintIndexView(SearchPlaceholderMixin, ExportColumnsMixin, StableOrderingMixin, IndexView):
    any_permission_required = ["view"]
    search_placeholder = _("Código, asunto, descripción o lugar…")
    empty_message = _("No hay casos.")
    no_match_message = _("No hay casos con esta búsqueda o estos filtros.")
    template_name = "participation/admin/bulk_index.html"
    select_all_text = _("Seleccionar todos los casos de la lista")
    bulk_item_type = "COMPLAINT"
    page_title = _("Reclamos y denuncias")
    # The export never carries a complainant's contact details: they stay on the case's page.
    export_columns = [
        ("code", _("Código"), lambda c: c.code),
        ("kind", _("Tipo"), lambda c: str(c.get_kind_display())),
        ("subject", _("Asunto"), lambda c: c.subject),
        ("problem_type", _("Tipo de problema"), lambda c: c.problem_type.name if c.problem_type else ""),
        ("channel", _("Canal"), lambda c: str(c.get_channel_display())),
        ("unit", _("Unidad"), lambda c: c.unit.name),
        ("district", _("Distrito"), lambda c: c.district.name if c.district else ""),
        ("status", _("Estado"), lambda c: str(c.get_status_display())),
        ("assigned_to", _("Asignado a"), lambda c: c.assigned_to.get_username() if c.assigned_to else ""),
        ("received_on", _("Recibido el"), lambda c: c.received_on),
        ("due_date", _("Fecha límite"), lambda c: c.due_date),
        ("overdue", _("Vencido"), lambda c: yes_no(c.is_overdue)),
        ("closed_at", _("Cerrado el"), lambda c: c.closed_at.date() if c.closed_at else ""),
        ("reporter", _("Presentado por"), _reporter),
    ]

    def get_base_queryset(self):
        # The scoped queryset: a case worker's own units only (denuncias: the transparency unit).
        # ``has_photo``: the queue marks a case that came with a photo (a chat's, or an image on the web form).
        photos = ComplaintAttachment.objects.filter(complaint=OuterRef("pk"), content_type__startswith="image/")
        return (
            selectors.complaint_queue(user=self.request.user)
            .select_related("district")
            .annotate(has_photo=Exists(photos))
        )

    def get_edit_url(self, instance):
        return complaint_url(instance)

    def get_list_buttons(self, instance):
        return []

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="complaint"),
            TitleColumn(
                "code",
                label=_("Código"),
                classname="w-whitespace-nowrap",
                sort_key="code",
                get_url=complaint_url,
                get_title_id=lambda c: f"complaint_{c.pk}_title",
            ),
            Column("kind", label=_("Tipo"), accessor=lambda c: str(c.get_kind_display()).capitalize(), sort_key="kind"),
            ComplaintSubjectColumn("subject", label=_("Asunto"), sort_key="subject"),
            ComplaintChannelColumn("channel", label=_("Canal"), sort_key="channel"),
            Column("unit", label=_("Unidad"), accessor="unit.name", sort_key="unit__name"),
            Column(
                "status",
                label=_("Estado"),
                accessor=lambda c: str(c.get_status_display()).capitalize(),
                sort_key="status",
            ),
            Column(
                "assigned_to",
                label=_("Asignado a"),
                accessor=lambda c: staff_name(c.assigned_to),
                sort_key="assigned_to__username",
            ),
            ComplaintDueColumn("due_date", label=_("Fecha límite"), sort_key="due_date"),
            Column("reporter", label=_("Presentado por"), accessor=_reporter),
        ]


class ComplaintSubjectColumn(Column):
    cell_template_name = "participation/admin/cells/complaint_subject.html"


class ComplaintChannelColumn(Column):
    cell_template_name = "participation/admin/cells/complaint_channel.html"


class ComplaintDueColumn(DateColumn):
    cell_template_name = "participation/admin/cells/complaint_due.html"


class ComplaintViewSet(ListingOnlyViewSet):
    model = Complaint
    name = "participation_complaints"
    url_prefix = "participa/reclamos"
    icon = "warning"
    index_view_class = ComplaintIndexView
    filterset_class = ComplaintFilterSet
    search_fields = ["code", "subject", "description", "location"]
    ordering = "due_date"
    list_per_page = 50
    export_filename = "reclamos"


# --- proposals ------------------------------------------------------------------------------------


def proposals_for_staff():
    """Every proposal, hidden or removed ones included, with its count of unresolved reports."""
    return Proposal.objects.select_related("category", "district").annotate(
        open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True))
    )


def proposal_answer_url(proposal: Proposal) -> str:
    return reverse("participation_admin:proposal_answer", args=[proposal.pk])


class ProposalIndexView(SearchPlaceholderMixin, ExportColumnsMixin, StableOrderingMixin, IndexView):
    any_permission_required = ["view"]
    search_placeholder = _("Título o descripción…")
    empty_message = _("No hay propuestas.")
    no_match_message = _("No hay propuestas con esta búsqueda o estos filtros.")
    template_name = "participation/admin/bulk_index.html"
    select_all_text = _("Seleccionar todas las propuestas de la lista")
    bulk_item_type = "PROPOSAL"
    page_title = _("Propuestas")
    export_columns = [
        ("id", _("Número"), lambda p: p.pk),
        ("title", _("Título"), lambda p: p.title),
        ("category", _("Categoría"), lambda p: p.category.name),
        ("district", _("Distrito"), lambda p: p.district.name if p.district else ""),
        ("support_count", _("Apoyos"), lambda p: p.support_count),
        ("status", _("Estado"), lambda p: str(p.get_status_display())),
        ("moderation", _("Moderación"), lambda p: str(p.get_moderation_display())),
        ("open_reports", _("Reportes sin resolver"), lambda p: p.open_reports),
        ("created_at", _("Creada el"), lambda p: p.created_at),
        ("answered_at", _("Respondida el"), lambda p: p.answered_at or ""),
        ("url", _("Dirección"), lambda p: p.get_absolute_url()),
    ]

    def get_base_queryset(self):
        return proposals_for_staff()

    def get_edit_url(self, instance):
        return proposal_answer_url(instance)

    def get_list_buttons(self, instance):
        return []

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="proposal"),
            TitleColumn(
                "title",
                label=_("Título"),
                sort_key="title",
                get_url=proposal_answer_url,
                get_title_id=lambda p: f"proposal_{p.pk}_title",
            ),
            Column("category", label=_("Categoría"), accessor="category.name", sort_key="category__name"),
            Column("support_count", label=_("Apoyos"), sort_key="support_count"),
            Column("status", label=_("Estado"), accessor="get_status_display", sort_key="status"),
            ProposalModerationColumn("moderation", label=_("Moderación"), sort_key="moderation"),
            DateColumn("created_at", label=_("Creada el"), sort_key="created_at"),
            ProposalLinksColumn("links", label=_("Acciones")),
        ]


class ProposalModerationColumn(Column):
    cell_template_name = "participation/admin/cells/moderation.html"


class ProposalLinksColumn(Column):
    cell_template_name = "participation/admin/cells/proposal_links.html"


class ProposalViewSet(ListingOnlyViewSet):
    model = Proposal
    name = "participation_proposals"
    url_prefix = "participa/propuestas"
    icon = "comment"
    index_view_class = ProposalIndexView
    filterset_class = ProposalFilterSet
    search_fields = ["title", "body"]
    ordering = "-support_count"
    list_per_page = 50
    export_filename = "propuestas"


# --- moderation of reported comments -------------------------------------------------------------


def reported_comments():
    """Every comment ever reported or not visible (the filters narrow it to what waits for a decision)."""
    return (
        Comment.objects.annotate(
            open_reports=Count("reports", filter=Q(reports__resolved_at__isnull=True), distinct=True),
            all_reports=Count("reports", distinct=True),
        )
        .filter(Q(all_reports__gt=0) | ~Q(moderation=Moderation.VISIBLE))
        .select_related("proposal", "author__participation_profile")
    )


def comment_url(comment: Comment) -> str:
    return f"{comment.proposal.get_absolute_url()}#comentario-{comment.pk}"


class ReportedCommentIndexView(SearchPlaceholderMixin, ExportColumnsMixin, StableOrderingMixin, IndexView):
    any_permission_required = ["view"]
    search_placeholder = _("Texto del comentario o título de la propuesta…")
    empty_message = _("No hay comentarios reportados.")
    no_match_message = _("No hay comentarios reportados con esta búsqueda o estos filtros.")
    template_name = "participation/admin/bulk_index.html"
    select_all_text = _("Seleccionar todos los comentarios de la lista")
    bulk_item_type = "COMMENT"
    page_title = _("Moderación de comentarios")
    export_columns = [
        ("id", _("Número"), lambda c: c.pk),
        ("body", _("Comentario"), lambda c: c.body),
        ("author", _("Autor"), lambda c: selectors.author_name(c.author)),
        ("proposal", _("Propuesta"), lambda c: c.proposal.title),
        ("open_reports", _("Reportes sin resolver"), lambda c: c.open_reports),
        ("reasons", _("Motivos"), lambda c: " | ".join(c.open_reasons)),
        ("reporters", _("Reportado por"), lambda c: " | ".join(c.open_reporters)),
        ("moderation", _("Moderación"), lambda c: str(c.get_moderation_display())),
        ("created_at", _("Fecha"), lambda c: c.created_at),
    ]

    def get_base_queryset(self):
        return reported_comments()

    def decorate(self, comments):
        from participation.models import ContentReport

        comments = list(comments)
        reasons: dict[int, list[str]] = {}
        reporters: dict[int, list[str]] = {}
        reports = ContentReport.objects.filter(comment__in=comments, resolved_at__isnull=True).select_related(
            "reporter__participation_profile"
        )
        for report in reports:
            if report.reason:
                reasons.setdefault(report.comment_id, []).append(report.reason)
            reporters.setdefault(report.comment_id, []).append(selectors.author_name(report.reporter))
        for comment in comments:
            comment.open_reasons = reasons.get(comment.pk, [])
            comment.open_reporters = reporters.get(comment.pk, [])
        return comments

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        if not self.is_export:
            context["object_list"] = self.decorate(context["object_list"])
            context["table"] = self.get_table(context["object_list"])
        return context

    def as_spreadsheet(self, queryset, spreadsheet_format):
        return super().as_spreadsheet(self.decorate(queryset), spreadsheet_format)

    def get_edit_url(self, instance):
        return comment_url(instance)

    def get_list_buttons(self, instance):
        return []

    @cached_property
    def columns(self):
        return [
            BulkActionsCheckboxColumn("bulk_actions", obj_type="comment"),
            CommentBodyColumn("body", label=_("Comentario"), sort_key="body"),
            Column(
                "author",
                label=_("Autor"),
                accessor=lambda c: selectors.author_name(c.author),
                sort_key="author__participation_profile__display_name",
            ),
            CommentReportsColumn("open_reports", label=_("Reportes y motivos"), sort_key="open_reports"),
            ProposalModerationColumn("moderation", label=_("Moderación"), sort_key="moderation"),
            DateColumn("created_at", label=_("Fecha"), sort_key="created_at"),
        ]


class CommentBodyColumn(Column):
    cell_template_name = "participation/admin/cells/comment_body.html"


class CommentReportsColumn(Column):
    cell_template_name = "participation/admin/cells/comment_reports.html"


class ReportedCommentViewSet(ListingOnlyViewSet):
    model = Comment
    name = "participation_moderation"
    url_prefix = "participa/moderacion"
    icon = "pick"
    index_view_class = ReportedCommentIndexView
    filterset_class = ReportedCommentFilterSet
    search_fields = ["body", "proposal__title"]
    ordering = "-open_reports"
    list_per_page = 50
    export_filename = "comentarios-reportados"


complaint_viewset = ComplaintViewSet()
proposal_viewset = ProposalViewSet()
comment_moderation_viewset = ReportedCommentViewSet()
POLICIES = {Complaint: ComplaintPolicy(Complaint), Proposal: ProposalPolicy(Proposal), Comment: CommentPolicy(Comment)}
