from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from search.models import ZeroResultQuery
from search.rules import ReportPermissionPolicy

register_permission_policy(ZeroResultQuery, ReportPermissionPolicy(ZeroResultQuery))


class ZeroResultQueryViewSet(ModelViewSet):
    """What citizens searched for and did not find, most frequent first.

    Editors add the missing words as guide aliases (or promote a page for the
    query in "Resultados de búsqueda promocionados") and then delete the row.
    """

    model = ZeroResultQuery
    icon = "search"
    menu_label = _("Búsquedas sin resultados")
    menu_order = 310
    add_to_admin_menu = True
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
