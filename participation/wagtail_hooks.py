from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from participation import admin_views
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
