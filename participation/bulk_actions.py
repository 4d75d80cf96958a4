"""Bulk actions of the staff listings (Wagtail's bulk-action framework).

Every action acts only on rows the user may see (the same scoped querysets as
the listings; "select all in listing" re-applies the listing's filters and
search), and writes through ``participation.services`` one row at a time, so
that each case keeps its history and its complainant is told as usual. A row
the service refuses is reported by code; the others go ahead.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.admin.views.bulk_action import BulkAction

from participation import selectors, services
from participation.filters import ComplaintFilterSet, ProposalFilterSet, ReportedCommentFilterSet
from participation.models import Comment, Complaint, Proposal
from participation.rules import can


def _ids(request) -> list[int]:
    return [int(value) for value in request.GET.getlist("id") if value.isdigit()]


class ScopedBulkAction(BulkAction):
    """Rows come from ``scoped_queryset`` (never from the whole table); ``rule`` opens the action."""

    rule = ""
    filterset_class = None
    search_fields: list[str] = []
    template_name = "participation/admin/bulk_confirm.html"
    item_url_name = ""
    failures: list[str]

    def dispatch(self, request, *args, **kwargs):
        if not can(request.user, self.rule):
            raise PermissionDenied
        self.failures = []
        return super().dispatch(request, *args, **kwargs)

    def scoped_queryset(self):
        raise NotImplementedError

    def listing_queryset(self):
        """What the listing showed: its filters and its search, over the scoped rows."""
        queryset = self.scoped_queryset()
        if self.filterset_class is not None:
            filters = self.filterset_class(data=self.request.GET, queryset=queryset, request=self.request)
            if filters.is_valid():
                queryset = filters.qs
        query = (self.request.GET.get("q") or "").strip()
        if query:
            from django.db.models import Q

            condition = Q()
            for field in self.search_fields:
                condition |= Q(**{f"{field}__icontains": query})
            queryset = queryset.filter(condition)
        return queryset

    def get_actionable_objects(self):
        if "all" in self.request.GET.getlist("id"):
            objects = list(self.listing_queryset())
        else:
            objects = list(self.scoped_queryset().filter(pk__in=_ids(self.request)))
        # Rows outside the user's reach are simply not found: their existence is not revealed.
        return objects, {"items_with_no_access": []}

    def get_execution_context(self):
        return {"view": self, "actor": self.request.user, **self.cleaned_form.cleaned_data}

    def object_context(self, obj):
        return {"item": obj, "url": self.item_url(obj)}

    def item_url(self, obj) -> str:
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["action"] = self
        return context

    def fail(self, obj, exc: Exception) -> None:
        detail = " ".join(getattr(exc, "messages", None) or [str(exc) or str(_("sin permiso"))])
        self.failures.append(f"{self.describe(obj)}: {detail}")

    def describe(self, obj) -> str:
        return str(obj)

    def get_success_message(self, num_parent_objects, num_child_objects):
        if self.failures:
            messages.warning(
                self.request,
                _("No se pudo con %(count)d: %(list)s")
                % {"count": len(self.failures), "list": "; ".join(self.failures[:20])},
            )
        if not num_parent_objects:
            return None
        return self.done_message(num_parent_objects)

    def done_message(self, count: int) -> str:
        raise NotImplementedError


# --- complaints ---------------------------------------------------------------------------------------


class ComplaintBulkAction(ScopedBulkAction):
    models = [Complaint]
    rule = "use_complaint_queue"
    filterset_class = ComplaintFilterSet
    search_fields = ["code", "subject", "description", "location"]

    def scoped_queryset(self):
        return selectors.complaint_queue(user=self.request.user)

    def item_url(self, obj) -> str:
        from participation.viewsets import complaint_url

        return complaint_url(obj)

    def describe(self, obj) -> str:
        return obj.code


def assignable_to_all(complaints) -> list:
    """Staff who may handle every one of the cases (the rule depends only on the unit and the kind)."""
    pairs = {}
    for complaint in complaints:
        pairs.setdefault((complaint.unit_id, complaint.kind), complaint)
    common = None
    for complaint in pairs.values():
        users = {user.pk: user for user in selectors.complaint_assignable_users(complaint=complaint)}
        common = users if common is None else {pk: user for pk, user in common.items() if pk in users}
    return sorted((common or {}).values(), key=lambda user: user.get_username())


class AssignForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("Asignar a"), coerce=int, choices=())

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.users = {user.pk: user for user in users}
        self.fields["assignee"].choices = [("", _("Elige a una persona")), *((u.pk, u.get_username()) for u in users)]

    def clean_assignee(self):
        user = self.users.get(self.cleaned_data["assignee"])
        if user is None:
            raise ValidationError(_("Elige a una persona de la lista."))
        return user


class AssignComplaintsBulkAction(ComplaintBulkAction):
    display_name = _("Asignar")
    action_type = "assign"
    aria_label = _("Asignar los casos elegidos a una persona")
    action_priority = 10
    form_class = AssignForm
    title = _("Asignar casos")
    intro = _("Solo se ofrecen las personas que pueden atender todos los casos elegidos.")
    submit_label = _("Asignar")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["users"] = assignable_to_all(self.get_actionable_objects()[0])
        return kwargs

    @classmethod
    def execute_action(cls, objects, view=None, actor=None, assignee=None, **kwargs):
        done = 0
        for complaint in objects:
            if complaint.assigned_to_id == assignee.pk:
                continue
            try:
                services.complaint_assign(complaint=complaint, actor=actor, assignee=assignee)
            except (ValidationError, PermissionDenied) as exc:
                view.fail(complaint, exc)
            else:
                done += 1
        view.assignee = assignee
        return done, 0

    def done_message(self, count: int) -> str:
        return ngettext("%(count)d caso asignado a %(name)s.", "%(count)d casos asignados a %(name)s.", count) % {
            "count": count,
            "name": self.assignee.get_username(),
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Nuevo estado"), choices=[("", "—"), *Complaint.Status.choices])
    text = forms.CharField(
        label=_("Mensaje público (opcional; obligatorio para rechazar)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Se muestra en la página de seguimiento de cada caso y se envía a quien lo presentó."),
    )


class ChangeComplaintStatusBulkAction(ComplaintBulkAction):
    display_name = _("Cambiar el estado")
    action_type = "status"
    aria_label = _("Cambiar el estado de los casos elegidos")
    action_priority = 20
    form_class = StatusForm
    title = _("Cambiar el estado")
    intro = _("Cada caso guarda el cambio en su historial y se avisa a quien lo presentó.")
    submit_label = _("Cambiar el estado")

    @classmethod
    def execute_action(cls, objects, view=None, actor=None, status="", text="", **kwargs):
        done = 0
        for complaint in objects:
            if complaint.status == status:
                continue
            try:
                services.complaint_change_status(complaint=complaint, actor=actor, status=status, text=text)
            except (ValidationError, PermissionDenied) as exc:
                view.fail(complaint, exc)
            else:
                done += 1
        return done, 0

    def done_message(self, count: int) -> str:
        return ngettext("%(count)d caso cambió de estado.", "%(count)d casos cambiaron de estado.", count) % {
            "count": count
        }


# --- moderation: hide (remove) or restore proposals and comments --------------------------------------


class RestoreForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo"),
        help_text=_("Queda registrado junto con tu nombre en cada elemento restablecido."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indica por qué restableces el contenido.")},
    )


class RemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Motivo (opcional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ModerationBulkAction(ScopedBulkAction):
    rule = "moderate"
    form_class = RemoveForm
    keep = True

    @classmethod
    def execute_action(cls, objects, view=None, actor=None, reason: str = "", **kwargs):
        done = 0
        for target in objects:
            try:
                services.moderation_decide(
                    moderator=actor,
                    proposal=target if isinstance(target, Proposal) else None,
                    comment=target if isinstance(target, Comment) else None,
                    keep=view.keep,
                    reason=reason,
                )
            except (ValidationError, PermissionDenied) as exc:
                view.fail(target, exc)
            else:
                done += 1
        return done, 0


class CommentModerationMixin:
    models = [Comment]
    filterset_class = ReportedCommentFilterSet
    search_fields = ["body", "proposal__title"]

    def scoped_queryset(self):
        from participation.viewsets import reported_comments

        return reported_comments()

    def item_url(self, obj) -> str:
        from participation.viewsets import comment_url

        return comment_url(obj)

    def describe(self, obj) -> str:
        return f"«{obj.body[:40]}»"


class ProposalModerationMixin:
    models = [Proposal]
    filterset_class = ProposalFilterSet
    search_fields = ["title", "body"]
    rule = "moderate"

    def scoped_queryset(self):
        from participation.viewsets import proposals_for_staff

        return proposals_for_staff()

    def item_url(self, obj) -> str:
        return obj.get_absolute_url()

    def describe(self, obj) -> str:
        return f"«{obj.title[:40]}»"


class RestoreMixin:
    display_name = _("Restablecer")
    action_type = "restore"
    aria_label = _("Mostrar de nuevo el contenido elegido y cerrar sus reportes")
    action_priority = 10
    keep = True
    title = _("Restablecer el contenido")
    intro = _("Vuelve a ser visible para todos y sus reportes se dan por resueltos.")
    submit_label = _("Restablecer")
    form_class = RestoreForm

    def done_message(self, count: int) -> str:
        return ngettext("%(count)d elemento restablecido.", "%(count)d elementos restablecidos.", count) % {
            "count": count
        }


class HideMixin:
    display_name = _("Retirar")
    action_type = "hide"
    aria_label = _("Retirar el contenido elegido y cerrar sus reportes")
    action_priority = 20
    classes = {"serious"}
    keep = False
    title = _("Retirar el contenido")
    intro = _("Deja de mostrarse en el portal; sus reportes se dan por resueltos.")
    submit_label = _("Retirar")

    def done_message(self, count: int) -> str:
        return ngettext("%(count)d elemento retirado.", "%(count)d elementos retirados.", count) % {"count": count}


class RestoreCommentsBulkAction(RestoreMixin, CommentModerationMixin, ModerationBulkAction):
    pass


class HideCommentsBulkAction(HideMixin, CommentModerationMixin, ModerationBulkAction):
    pass


class RestoreProposalsBulkAction(RestoreMixin, ProposalModerationMixin, ModerationBulkAction):
    pass


class HideProposalsBulkAction(HideMixin, ProposalModerationMixin, ModerationBulkAction):
    pass


BULK_ACTIONS = [
    AssignComplaintsBulkAction,
    ChangeComplaintStatusBulkAction,
    RestoreCommentsBulkAction,
    HideCommentsBulkAction,
    RestoreProposalsBulkAction,
    HideProposalsBulkAction,
]
