"""Staff screens for what citizens could not find (issue 13, item 4).

``GroupedReportView`` lists similar texts as one group (``search.selectors.similar_key``)
with two actions per group: add the words as an alias of a guide
(``cms.services.guide_add_alias``; the chat's guide index and the search pick the
published name up) and mark the group handled. Handled groups are hidden until
they come back (a search or a question seen after the mark); a filter shows them.
The chat's "Preguntas sin respuesta" (``chatbot.admin_views``) and the search's
"Búsquedas sin resultados" (below) are the two lists.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies.pages import PagePermissionPolicy

from cms import services as cms_services
from cms.models import GuidePage
from search import selectors, services
from search.analysis import chat_content_words, fold
from search.models import ZeroResultQuery
from search.rules import ReportPermissionPolicy

DEFAULT_DAYS = "30"
PERIODS = [
    ("7", _("Últimos 7 días")),
    ("30", _("Últimos 30 días")),
    ("90", _("Últimos 90 días")),
    ("365", _("Último año")),
]
STATES = [("pending", _("Pendientes")), ("handled", _("Atendidas")), ("all", _("Todas"))]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ActionsColumn(Column):
    """The group's actions: add as a guide alias, mark handled (or who handled it and when)."""

    cell_template_name = "search/admin/group_actions_cell.html"

    def __init__(self, name, *, alias_url_name, handled_url_name, **kwargs):
        super().__init__(name, **kwargs)
        self.alias_url_name, self.handled_url_name = alias_url_name, handled_url_name

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        request = parent_context.get("request")
        context["csrf_token"] = get_token(request) if request is not None else ""
        context["alias_url"] = reverse(self.alias_url_name) + "?" + _query({"clave": instance["key"]})
        context["handled_url"] = reverse(self.handled_url_name)
        context["next"] = request.get_full_path() if request is not None else ""
        context["group"] = instance
        return context


def _query(params: dict) -> str:
    from django.utils.http import urlencode

    return urlencode(params)


class GroupFilterSet(WagtailFilterSet):
    # Applied by the selector (before the texts are grouped); here they are the form.
    dias = django_filters.ChoiceFilter(
        label=_("Periodo"), choices=PERIODS, method="by_selector", empty_label=None, widget=forms.RadioSelect
    )
    estado = django_filters.ChoiceFilter(
        label=_("Estado"), choices=STATES, method="by_selector", empty_label=None, widget=forms.RadioSelect
    )

    class Meta:
        model = ZeroResultQuery
        fields = []

    def by_selector(self, queryset, name, value):
        return queryset


class GroupedReportView(ReportView):
    """A report of groups (dicts from ``search.selectors.group_similar``), not of model rows."""

    is_searchable = True
    default_ordering = "-times"
    paginate_by = 50
    list_export = ["text", "times", "last_seen"]
    alias_url_name = ""
    handled_url_name = ""
    text_label = _("Texto")
    search_placeholder = _("Buscar…")

    @cached_property
    def export_headings(self):
        return {"text": self.text_label, "times": _("Veces"), "last_seen": _("Última vez")}

    def user_may_view(self, user) -> bool:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not self.user_may_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_search_form(self):
        data = self.request.GET if self.search_kwarg in self.request.GET else None
        return SearchForm(data, placeholder=self.search_placeholder)

    def get_filterset_kwargs(self):
        data = self.request.GET.copy()
        if data.get("dias") not in dict(PERIODS):
            data["dias"] = DEFAULT_DAYS
        if data.get("estado") not in dict(STATES):
            data["estado"] = "pending"
        return {"data": data, "request": self.request}

    @cached_property
    def cleaned_filters(self) -> dict:
        filters = self.filters
        return filters.form.cleaned_data if filters is not None and filters.is_valid() else {}

    @cached_property
    def days(self) -> int:
        return int(self.cleaned_filters.get("dias") or DEFAULT_DAYS)

    @cached_property
    def state(self) -> str:
        return self.cleaned_filters.get("estado") or "pending"

    def get_groups(self) -> list[dict]:
        raise NotImplementedError

    def get_base_queryset(self):
        return self.get_groups()

    def filter_queryset(self, queryset):
        return queryset  # the selector applied the filters

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        needle = fold(self.search_query)
        return [group for group in queryset if needle in fold(group["text"]) or needle in group["key"]]

    def order_queryset(self, queryset):
        ordering = self.ordering if isinstance(self.ordering, str) else "-times"
        field = ordering.lstrip("-")
        if field not in ("text", "times", "last_seen"):
            field, ordering = "times", "-times"
        key = (lambda g: fold(g["text"])) if field == "text" else (lambda g: g[field])
        return sorted(queryset, key=key, reverse=ordering.startswith("-"))

    def get_preprocess_function(self, field, value, export_format):
        if isinstance(value, str) and export_format == self.FORMAT_CSV:
            return lambda text: "'" + text if text.startswith(FORMULA_PREFIXES) else text
        return super().get_preprocess_function(field, value, export_format)

    @cached_property
    def columns(self):
        return [
            Column("text", label=self.text_label, accessor="text", sort_key="text"),
            Column("times", label=_("Veces"), accessor="times", sort_key="times"),
            DateColumn("last_seen", label=_("Última vez"), accessor="last_seen", sort_key="last_seen"),
            ActionsColumn(
                "actions",
                label=_("Acciones"),
                alias_url_name=self.alias_url_name,
                handled_url_name=self.handled_url_name,
            ),
        ]


# --- the alias form and the "handled" action, for both lists ---------------------------------------


class AliasForm(forms.Form):
    guide = forms.ModelChoiceField(label=_("Guía"), queryset=GuidePage.objects.none(), empty_label=_("Elija una guía"))
    name = forms.CharField(
        label=_("Nombre alternativo"),
        max_length=cms_services.GUIDE_ALIAS_MAX,
        help_text=_("Las palabras con que la gente busca este trámite, p. ej. «cevichería»."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        editable = PagePermissionPolicy().instances_user_has_permission_for(user, "change")
        self.fields["guide"].queryset = GuidePage.objects.live().filter(pk__in=editable.values("pk")).order_by("title")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


class GroupActionMixin:
    """What the alias and handled views need from their list (subclasses fill these in)."""

    index_url_name = ""
    page_title = _("Añadir como alias de una guía")

    def user_may_view(self, user) -> bool:
        raise NotImplementedError

    def find_group(self, key: str) -> dict | None:
        raise NotImplementedError

    def mark_handled(self, *, key: str, user, guide=None, alias: str = "") -> None:
        raise NotImplementedError

    def dispatch(self, request, *args, **kwargs):
        if not self.user_may_view(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class GroupHandledView(GroupActionMixin, View):
    http_method_names = ["post"]

    def post(self, request):
        key = request.POST.get("clave", "")
        group = self.find_group(key)
        if group is None:
            raise Http404(gettext("No se encontró ese grupo."))
        self.mark_handled(key=key, user=request.user)
        messages.success(request, gettext("«%(text)s» se marcó como atendida.") % {"text": group["text"]})
        return redirect(_safe_next(request, reverse(self.index_url_name)))


class GroupAliasView(GroupActionMixin, View):
    template_name = "search/admin/group_alias.html"

    def get_group(self, request) -> dict:
        group = self.find_group(request.GET.get("clave") or request.POST.get("clave", ""))
        if group is None:
            raise Http404(gettext("No se encontró ese grupo."))
        return group

    def render(self, request, form, group, status=200):
        context = {
            "form": form,
            "group": group,
            "page_title": self.page_title,
            "header_icon": "link",
            "index_url": reverse(self.index_url_name),
        }
        return TemplateResponse(request, self.template_name, context, status=status)

    def get(self, request):
        group = self.get_group(request)
        suggestion = " ".join(chat_content_words(group["text"]))
        return self.render(request, AliasForm(user=request.user, initial={"name": suggestion}), group)

    def post(self, request):
        group = self.get_group(request)
        form = AliasForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(request, form, group, status=400)
        guide, name = form.cleaned_data["guide"], form.cleaned_data["name"]
        try:
            with transaction.atomic():
                result = cms_services.guide_add_alias(guide=guide, name=name, user=request.user)
                if result.published:
                    self.mark_handled(key=group["key"], user=request.user, guide=guide, alias=result.name)
        except PermissionDenied as error:
            form.add_error("guide", str(error) or gettext("No tiene permiso para editar esta guía."))
            return self.render(request, form, group, status=403)
        except ValidationError as error:
            for message in error.messages:
                form.add_error("name", message)
            return self.render(request, form, group, status=400)
        values = {"name": result.name, "title": guide.title}
        if not result.published:
            messages.warning(
                request,
                gettext(
                    "«%(name)s» se guardó en un borrador de «%(title)s»: no tiene permiso para publicar esta guía. "
                    "El asistente y el buscador lo usarán cuando un editor publique el borrador."
                )
                % values,
            )
        elif result.added:
            messages.success(
                request,
                gettext("«%(name)s» es ahora un nombre de «%(title)s»: el asistente y el buscador ya lo usan.")
                % values,
            )
        else:
            messages.info(request, gettext("«%(title)s» ya tenía el nombre «%(name)s».") % values)
        return redirect(reverse(self.index_url_name))


# --- Búsquedas sin resultados --------------------------------------------------------------------

zero_result_policy = ReportPermissionPolicy(ZeroResultQuery)


def can_view_zero_results(user) -> bool:
    return bool(user and user.is_active and zero_result_policy.user_has_any_permission(user, ["view", "delete"]))


class ZeroResultActions:
    index_url_name = "search_zero_results"

    def user_may_view(self, user) -> bool:
        return can_view_zero_results(user)

    def find_group(self, key: str) -> dict | None:
        return selectors.zero_result_group(key=key)

    def mark_handled(self, *, key: str, user, guide=None, alias: str = "") -> None:
        services.zero_result_mark_handled(key=key, user=user, guide=guide, alias=alias)


class ZeroResultsReportView(ZeroResultActions, GroupedReportView):
    page_title = _("Búsquedas sin resultados")
    verbose_name = _("búsqueda distinta")
    verbose_name_plural = _("búsquedas distintas")
    header_icon = "search"
    index_url_name = "search_zero_results"
    index_results_url_name = "search_zero_results_results"
    alias_url_name = "search_zero_results_alias"
    handled_url_name = "search_zero_results_handled"
    template_name = "search/admin/zero_results_report.html"
    filterset_class = GroupFilterSet
    export_filename = "busquedas-sin-resultados"
    text_label = _("Búsqueda")
    search_placeholder = _("Buscar en las búsquedas…")

    @cached_property
    def no_results_message(self):
        return _("No hay búsquedas sin resultados con esta búsqueda o estos filtros.")

    def get_groups(self):
        return selectors.zero_result_groups(days=self.days, state=self.state)


class ZeroResultAliasView(ZeroResultActions, GroupAliasView):
    pass


class ZeroResultHandledView(ZeroResultActions, GroupHandledView):
    pass
