"""Wagtail admin report: what residents asked that the bot could not answer (issue 13, items 1 and 4).

A native ``ReportView`` of similar questions grouped (``search.admin_views.GroupedReportView``):
the period, the channel and the state (pending/handled) are filters that survive
paging and sorting, and the listing exports to CSV/XLSX. Each group can become an
alias of a guide or be marked handled. Reads go through ``chatbot.selectors``,
writes through ``cms.services`` and ``chatbot.services``; who may see and act is
``chatbot.rules.can_view_chat_log``.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from chatbot import rules, selectors, services
from chatbot.models import ChatExchange
from search.admin_views import (
    PERIODS,
    STATES,
    GroupAliasView,
    GroupedReportView,
    GroupHandledView,
)

CHANNELS = [("web", _("Chat web")), ("whatsapp", "WhatsApp"), ("api", "API")]


class UnansweredFilterSet(WagtailFilterSet):
    # All are applied by the selector (before the questions are grouped); here they are the form.
    dias = django_filters.ChoiceFilter(
        label=_("Periodo"), choices=PERIODS, method="by_selector", empty_label=None, widget=forms.RadioSelect
    )
    canal = django_filters.ChoiceFilter(
        label=_("Canal"), choices=CHANNELS, method="by_selector", empty_label=_("Todos"), widget=forms.RadioSelect
    )
    estado = django_filters.ChoiceFilter(
        label=_("Estado"), choices=STATES, method="by_selector", empty_label=None, widget=forms.RadioSelect
    )

    class Meta:
        model = ChatExchange
        fields = []

    def by_selector(self, queryset, name, value):
        return queryset


class UnansweredActions:
    index_url_name = "chatbot_unanswered"

    def user_may_view(self, user) -> bool:
        return rules.can_view_chat_log(user)

    def find_group(self, key: str) -> dict | None:
        return selectors.unanswered_group(key=key)

    def mark_handled(self, *, key: str, user, guide=None, alias: str = "") -> None:
        services.unanswered_mark_handled(key=key, user=user, guide=guide, alias=alias)


class UnansweredQuestionsReportView(UnansweredActions, GroupedReportView):
    page_title = _("Preguntas sin respuesta")
    verbose_name = _("pregunta distinta")
    verbose_name_plural = _("preguntas distintas")
    header_icon = "help"
    index_url_name = "chatbot_unanswered"
    index_results_url_name = "chatbot_unanswered_results"
    alias_url_name = "chatbot_unanswered_alias"
    handled_url_name = "chatbot_unanswered_handled"
    template_name = "chatbot/admin/unanswered_report.html"
    filterset_class = UnansweredFilterSet
    export_filename = "preguntas-sin-respuesta"
    text_label = _("Pregunta")
    search_placeholder = _("Buscar en las preguntas…")

    @cached_property
    def no_results_message(self):
        return _("No hay preguntas sin respuesta con esta búsqueda o estos filtros.")

    def get_groups(self):
        channel = self.cleaned_filters.get("canal") or None
        return selectors.unanswered_question_groups(days=self.days, channel=channel, state=self.state)

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context["days"] = self.days
        context["stats"] = selectors.exchange_stats(days=self.days)
        return context


class UnansweredAliasView(UnansweredActions, GroupAliasView):
    pass


class UnansweredHandledView(UnansweredActions, GroupHandledView):
    pass
