"""Wagtail admin report: what residents asked that the bot could not answer (issue 13, item 1).

A native ``ReportView``: the period and the channel are filters that survive
paging and sorting, and the listing exports to CSV/XLSX. Reads go through
``chatbot.selectors``; who may see it is ``chatbot.rules.can_view_chat_log``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView

from chatbot import rules, selectors
from chatbot.models import ChatExchange

DEFAULT_DAYS = "30"
PERIODS = [
    ("7", _("Últimos 7 días")),
    ("30", _("Últimos 30 días")),
    ("90", _("Últimos 90 días")),
    ("365", _("Último año")),
]
CHANNELS = [("web", _("Chat web")), ("whatsapp", "WhatsApp"), ("api", "API")]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class UnansweredFilterSet(WagtailFilterSet):
    # Both are applied by the selector (before the questions are grouped); here they are the form.
    dias = django_filters.ChoiceFilter(
        label=_("Periodo"), choices=PERIODS, method="by_selector", empty_label=None, widget=forms.RadioSelect
    )
    canal = django_filters.ChoiceFilter(
        label=_("Canal"), choices=CHANNELS, method="by_selector", empty_label=_("Todos"), widget=forms.RadioSelect
    )

    class Meta:
        model = ChatExchange
        fields = []

    def by_selector(self, queryset, name, value):
        return queryset


class UnansweredQuestionsReportView(ReportView):
    page_title = _("Preguntas sin respuesta")
    verbose_name = _("pregunta distinta")
    verbose_name_plural = _("preguntas distintas")
    header_icon = "help"
    index_url_name = "chatbot_unanswered"
    index_results_url_name = "chatbot_unanswered_results"
    template_name = "chatbot/admin/unanswered_report.html"
    filterset_class = UnansweredFilterSet
    is_searchable = True
    search_fields = ["text"]
    default_ordering = "-times"
    paginate_by = 50
    export_filename = "preguntas-sin-respuesta"
    list_export = ["text", "times", "last_seen"]
    export_headings = {"text": _("Pregunta"), "times": _("Veces"), "last_seen": _("Última vez")}

    def dispatch(self, request, *args, **kwargs):
        if not rules.can_view_chat_log(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def no_results_message(self):
        return _("No hay preguntas sin respuesta con esta búsqueda o estos filtros.")

    def get_search_form(self):
        data = self.request.GET if self.search_kwarg in self.request.GET else None
        return SearchForm(data, placeholder=_("Buscar en las preguntas…"))

    def get_filterset_kwargs(self):
        data = self.request.GET.copy()
        if data.get("dias") not in dict(PERIODS):
            data["dias"] = DEFAULT_DAYS
        return {"data": data, "request": self.request}

    @cached_property
    def period(self) -> tuple[int, str | None]:
        filters = self.filters
        cleaned = filters.form.cleaned_data if filters is not None and filters.is_valid() else {}
        return int(cleaned.get("dias") or DEFAULT_DAYS), cleaned.get("canal") or None

    def get_base_queryset(self):
        days, channel = self.period
        return selectors.unanswered_questions(days=days, channel=channel)

    def order_queryset(self, queryset):
        ordering = self.ordering if isinstance(self.ordering, str) else "-times"
        tie = "-last_seen" if ordering.lstrip("-") != "last_seen" else "text"
        return queryset.order_by(ordering, tie)

    def get_preprocess_function(self, field, value, export_format):
        if isinstance(value, str) and export_format == self.FORMAT_CSV:
            return lambda text: "'" + text if text.startswith(FORMULA_PREFIXES) else text
        return super().get_preprocess_function(field, value, export_format)

    @cached_property
    def columns(self):
        return [
            Column("text", label=_("Pregunta"), accessor="text", sort_key="text"),
            Column("times", label=_("Veces"), accessor="times", sort_key="times"),
            DateColumn("last_seen", label=_("Última vez"), accessor="last_seen", sort_key="last_seen"),
        ]

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        days, _channel = self.period
        context["days"] = days
        context["stats"] = selectors.exchange_stats(days=days)
        return context
