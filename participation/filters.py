"""Filters of the staff screens (django-filter, shown by Wagtail's listing views).

Parameter names are Spanish and short (``?unidad=…&estado=…``): they appear in
the address bar, survive paging, sorting and export, and old bookmarks of the
hand-made queue (``unidad``, ``estado``, ``tipo``, ``vencidos``) keep working.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from participation import selectors
from participation.models import Comment, Complaint, MunicipalUnit, ProblemType, Proposal, ProposalCategory
from participation.models.proposals import Moderation


def _units(request):
    if request is None or not request.user.is_authenticated:
        return MunicipalUnit.objects.none()
    return selectors.complaint_units_for(user=request.user).order_by("name")


class ComplaintFilterSet(WagtailFilterSet):
    unidad = django_filters.ModelChoiceFilter(
        label=_("Unidad"), field_name="unit", to_field_name="slug", queryset=_units, empty_label=_("Todas")
    )
    estado = django_filters.ChoiceFilter(
        label=_("Estado"),
        field_name="status",
        choices=Complaint.Status.choices,
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )
    abiertos = django_filters.ChoiceFilter(
        label=_("Abiertos o cerrados"),
        method="filter_open",
        choices=[("1", _("Solo abiertos")), ("0", _("Solo cerrados"))],
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )
    tipo = django_filters.ChoiceFilter(
        label=_("Tipo"),
        field_name="kind",
        choices=Complaint.Kind.choices,
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )
    canal = django_filters.ChoiceFilter(
        label=_("Canal"),
        field_name="channel",
        choices=Complaint.Channel.choices,
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )
    problema = django_filters.ModelChoiceFilter(
        label=_("Tipo de problema"),
        field_name="problem_type",
        to_field_name="slug",
        queryset=ProblemType.objects.order_by("sort_order", "name"),
        empty_label=_("Todos"),
    )
    asignado = django_filters.ChoiceFilter(
        label=_("Asignado a"),
        method="filter_assignee",
        choices=[("yo", _("A mí")), ("nadie", _("Sin asignar"))],
        empty_label=_("Cualquiera"),
        widget=forms.RadioSelect,
    )
    vencidos = django_filters.ChoiceFilter(
        label=_("Plazo"),
        method="filter_overdue",
        choices=[("1", _("Solo vencidos")), ("pronto", _("Vencen pronto"))],
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )
    recibido = django_filters.DateFromToRangeFilter(label=_("Recibido entre"), field_name="received_on")

    class Meta:
        model = Complaint
        fields = []

    def filter_open(self, queryset, name, value):
        if value == "1":
            return queryset.exclude(status__in=Complaint.FINAL_STATUSES)
        if value == "0":
            return queryset.filter(status__in=Complaint.FINAL_STATUSES)
        return queryset

    def filter_assignee(self, queryset, name, value):
        if value == "yo" and self.request is not None:
            return queryset.filter(assigned_to=self.request.user)
        if value == "nadie":
            return queryset.filter(assigned_to__isnull=True)
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value == "pronto":  # within AYNI_COMPLAINT_DUE_SOON_DAYS (the dashboard's and the reminders' rule)
            return queryset.due_soon()
        return queryset.overdue() if value == "1" else queryset


class ProposalFilterSet(WagtailFilterSet):
    estado = django_filters.ChoiceFilter(
        label=_("Estado"),
        field_name="status",
        choices=Proposal.Status.choices,
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )
    categoria = django_filters.ModelChoiceFilter(
        label=_("Categoría"),
        field_name="category",
        to_field_name="slug",
        queryset=ProposalCategory.objects.all(),
        empty_label=_("Todas"),
    )
    moderacion = django_filters.ChoiceFilter(
        label=_("Moderación"),
        field_name="moderation",
        choices=Moderation.choices,
        empty_label=_("Todas"),
        widget=forms.RadioSelect,
    )
    reportadas = django_filters.ChoiceFilter(
        label=_("Reportes"),
        method="filter_reported",
        choices=[("1", _("Con reportes sin resolver"))],
        empty_label=_("Todas"),
        widget=forms.RadioSelect,
    )
    respondida = django_filters.ChoiceFilter(
        label=_("Respuesta oficial"),
        method="filter_answered",
        choices=[("1", _("Con respuesta")), ("0", _("Sin respuesta"))],
        empty_label=_("Todas"),
        widget=forms.RadioSelect,
    )
    creada = django_filters.DateFromToRangeFilter(label=_("Creada entre"), field_name="created_at")

    class Meta:
        model = Proposal
        fields = []

    def filter_reported(self, queryset, name, value):
        return queryset.filter(open_reports__gt=0) if value == "1" else queryset

    def filter_answered(self, queryset, name, value):
        if value == "1":
            return queryset.filter(answered_at__isnull=False)
        if value == "0":
            return queryset.filter(answered_at__isnull=True)
        return queryset


class ReportedCommentFilterSet(WagtailFilterSet):
    moderacion = django_filters.ChoiceFilter(
        label=_("Moderación"),
        field_name="moderation",
        choices=Moderation.choices,
        empty_label=_("Todas"),
        widget=forms.RadioSelect,
    )
    pendientes = django_filters.ChoiceFilter(
        label=_("Reportes"),
        method="filter_pending",
        choices=[("1", _("Con reportes sin resolver")), ("0", _("Sin reportes pendientes"))],
        empty_label=_("Todos"),
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Comment
        fields = []

    def filter_pending(self, queryset, name, value):
        if value == "1":
            return queryset.filter(open_reports__gt=0)
        if value == "0":
            return queryset.filter(open_reports=0)
        return queryset
