from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from search.models import ZeroResultQuery
from search.rules import ReportPermissionPolicy

register_permission_policy(ZeroResultQuery, ReportPermissionPolicy(ZeroResultQuery))


class ZeroResultQueryViewSet(ModelViewSet):
    """Every search that found nothing, one row per wording (the raw records).

    Staff work from the grouped report ``search.admin_views.ZeroResultsReportView``
    (Informes > "Búsquedas sin resultados"): add the words as a guide alias or
    mark the group handled; this listing links from there and can delete rows.
    """

    model = ZeroResultQuery
    icon = "search"
    menu_label = _("Búsquedas sin resultados")
    menu_order = 310
    add_to_admin_menu = False  # reached from the grouped report
    list_display = ["example", "count", "first_seen", "last_seen"]
    list_export = ["example", "query", "count", "first_seen", "last_seen"]
    search_fields = ["query", "example"]
    ordering = ["-count", "-last_seen"]
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["example"]


zero_result_viewset = ZeroResultQueryViewSet("zero_result_queries")


@hooks.register("register_admin_viewset")
def register_zero_result_viewset():
    return zero_result_viewset


@hooks.register("construct_homepage_summary_items")
def add_zero_result_summary_item(request, items):
    """Dashboard: the different searches that found nothing in the last 7 days (issue 13, item 5)."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from ayni.dashboard import CountSummaryItem
    from search import selectors

    policy = zero_result_viewset.permission_policy
    items.append(
        CountSummaryItem(
            request,
            count=lambda: selectors.zero_result_query_count(days=7),
            label=lambda n: (
                ngettext(
                    "%(count)d búsqueda sin resultados esta semana", "%(count)d búsquedas sin resultados esta semana", n
                )
                % {"count": n}
            ),
            url=reverse(zero_result_viewset.get_url_name("index")) + "?ordering=-last_seen",
            icon="search",
            order=171,
            shown=policy.user_has_any_permission(request.user, ["add", "change", "delete", "view"]),
        )
    )


@hooks.register("register_admin_urls")
def register_zero_results_report_urls():
    from django.urls import path

    from search.admin_views import ZeroResultAliasView, ZeroResultHandledView, ZeroResultsReportView

    return [
        path("busquedas-sin-resultados/", ZeroResultsReportView.as_view(), name="search_zero_results"),
        path(
            "busquedas-sin-resultados/resultados/",
            ZeroResultsReportView.as_view(results_only=True),
            name="search_zero_results_results",
        ),
        path("busquedas-sin-resultados/alias/", ZeroResultAliasView.as_view(), name="search_zero_results_alias"),
        path("busquedas-sin-resultados/atendida/", ZeroResultHandledView.as_view(), name="search_zero_results_handled"),
    ]


class ZeroResultsMenuItem(MenuItem):
    def is_shown(self, request):
        from search.admin_views import can_view_zero_results

        return can_view_zero_results(request.user)


@hooks.register("register_reports_menu_item")
def register_zero_results_report_menu_item():
    from django.urls import reverse

    return ZeroResultsMenuItem(
        _("Búsquedas sin resultados"), reverse("search_zero_results"), icon_name="search", order=710
    )
