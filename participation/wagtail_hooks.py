from urllib.parse import urlencode

from django.conf import settings
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.admin.ui.components import Component
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from ayni.dashboard import CountSummaryItem
from participation import admin_views, selectors
from participation.bulk_actions import BULK_ACTIONS
from participation.models import ProblemType
from participation.rules import can
from participation.viewsets import POLICIES, comment_moderation_viewset, complaint_viewset, proposal_viewset

app_name = "participation_admin"


class RuleMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs):
        self.permission = permission
        super().__init__(*args, **kwargs)

    def is_shown(self, request):
        return can(request.user, self.permission)


class ProblemTypeViewSet(SnippetViewSet):
    """Problem types in plain words and the unit each goes to (Fragmentos > Tipos de problema).

    Editing them needs the model's Django permissions (add/change/delete
    "tipo de problema"), granted to a group in Configuración > Grupos; a
    superuser has them all. Complaint officers see cases, not the routing.
    """

    model = ProblemType
    icon = "tag"
    list_display = ["name", "unit", "sort_order", "active"]
    list_filter = ["active", "unit"]
    ordering = ["sort_order", "name"]
    copy_view_enabled = False


register_snippet(ProblemTypeViewSet)


# The listings are Wagtail viewsets (participation.viewsets) at the same addresses as
# the hand-made pages they replace; their old URL names stay as aliases.
for _model, _policy in POLICIES.items():
    register_permission_policy(_model, _policy)

for _action in BULK_ACTIONS:
    hooks.register("register_bulk_action", _action)


@hooks.register("register_admin_viewset")
def register_participation_viewsets():
    return [complaint_viewset, proposal_viewset, comment_moderation_viewset]


admin_urlpatterns = [
    path("reclamos/", complaint_viewset.index_view, name="queue"),
    path("reclamos/<int:pk>/", admin_views.complaint_detail, name="complaint"),
    path("reclamos/<int:pk>/adjuntos/<int:attachment_pk>/", admin_views.complaint_attachment, name="attachment"),
    path("moderacion/", comment_moderation_viewset.index_view, name="moderation"),
    path("moderacion/<str:kind>/<int:pk>/", admin_views.moderation_decide, name="moderation_decide"),
    path("propuestas/", proposal_viewset.index_view, name="proposals"),
    path("propuestas/<int:pk>/respuesta/", admin_views.proposal_answer, name="proposal_answer"),
]


@hooks.register("register_admin_urls")
def register_participation_urls():
    return [path("participa/", include((admin_urlpatterns, "participation_admin"), namespace="participation_admin"))]


@hooks.register("register_admin_menu_item")
def register_participation_menu():
    menu = Menu(
        items=[
            RuleMenuItem(
                _("Reclamos y denuncias"),
                reverse("participation_admin:queue"),
                icon_name="warning",
                permission="use_complaint_queue",
                order=100,
            ),
            RuleMenuItem(
                _("Comentarios reportados"),
                reverse("participation_admin:moderation"),
                icon_name="pick",
                permission="moderate",
                order=200,
            ),
            RuleMenuItem(
                _("Propuestas reportadas"),
                reverse("participation_admin:proposals") + "?reportadas=1",
                icon_name="pick",
                permission="moderate",
                order=250,
            ),
            RuleMenuItem(
                _("Propuestas"),
                reverse("participation_admin:proposals"),
                icon_name="comment",
                permission="answer_proposal",
                order=300,
            ),
        ]
    )
    return SubmenuMenuItem(_("Participación"), menu, icon_name="group", order=250)


# --- Dashboard: deadlines of the user's cases, reports waiting (issue 13, item 5) ------------


def _deadlines(request) -> list[dict]:
    """The user's open cases overdue and due soon, per unit (read once per request)."""
    if not hasattr(request, "_participation_deadlines"):
        request._participation_deadlines = selectors.complaint_deadlines_by_unit(user=request.user)
    return request._participation_deadlines


def _queue_url(**params) -> str:
    return reverse("participation_admin:queue") + "?" + urlencode(params)


class ComplaintDeadlinesPanel(Component):
    """Per unit of the user: overdue cases and cases due soon, each linked to the filtered queue."""

    name = "participation_complaint_deadlines"
    template_name = "participation/dashboard/complaint_deadlines.html"
    order = 50

    def __init__(self, request):
        self.request = request

    def get_context_data(self, parent_context=None) -> dict:
        rows = [
            {
                **row,
                "overdue_url": _queue_url(unidad=row["unit"].slug, vencidos="1"),
                "due_soon_url": _queue_url(unidad=row["unit"].slug, vencidos="pronto"),
            }
            for row in _deadlines(self.request)
        ]
        return {"rows": rows, "days": settings.AYNI_COMPLAINT_DUE_SOON_DAYS, "queue_url": _queue_url(abiertos="1")}


@hooks.register("construct_homepage_panels")
def add_complaint_deadlines_panel(request, panels):
    if can(request.user, "use_complaint_queue"):
        panels.append(ComplaintDeadlinesPanel(request))


@hooks.register("construct_homepage_summary_items")
def add_participation_summary_items(request, items):
    queue = can(request.user, "use_complaint_queue")
    moderate = can(request.user, "moderate")
    pending = {}

    def reports(kind):
        if not pending:
            pending.update(selectors.moderation_pending_counts())
        return pending[kind]

    items += [
        CountSummaryItem(
            request,
            count=lambda: sum(row["overdue"] for row in _deadlines(request)),
            label=lambda n: ngettext("%(count)d caso vencido", "%(count)d casos vencidos", n) % {"count": n},
            url=_queue_url(vencidos="1"),
            icon="warning",
            order=150,
            shown=queue,
        ),
        CountSummaryItem(
            request,
            count=lambda: sum(row["due_soon"] for row in _deadlines(request)),
            label=lambda n: ngettext("%(count)d caso vence pronto", "%(count)d casos vencen pronto", n) % {"count": n},
            url=_queue_url(vencidos="pronto"),
            icon="time",
            order=151,
            shown=queue,
        ),
        CountSummaryItem(
            request,
            count=lambda: reports("comments"),
            label=lambda n: (
                ngettext(
                    "%(count)d comentario reportado por revisar", "%(count)d comentarios reportados por revisar", n
                )
                % {"count": n}
            ),
            url=reverse("participation_admin:moderation") + "?pendientes=1",
            icon="pick",
            order=160,
            shown=moderate,
        ),
        CountSummaryItem(
            request,
            count=lambda: reports("proposals"),
            label=lambda n: (
                ngettext("%(count)d propuesta reportada por revisar", "%(count)d propuestas reportadas por revisar", n)
                % {"count": n}
            ),
            url=reverse("participation_admin:proposals") + "?reportadas=1",
            icon="pick",
            order=161,
            shown=moderate,
        ),
    ]
