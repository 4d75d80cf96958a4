from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from cms.models import GuideFeedback


class GuideFeedbackViewSet(ModelViewSet):
    """Editors read what citizens said about each guide (read-only)."""

    model = GuideFeedback
    icon = "comment"
    menu_label = _("Opiniones sobre guías")
    menu_order = 300
    add_to_admin_menu = True
    list_display = ["page", "helpful", "comment", "created_at"]
    list_filter = ["helpful", "page"]
    search_fields = ["comment"]
    inspect_view_enabled = True
    form_fields = ["helpful", "comment"]
    copy_view_enabled = False
    ordering = ["-created_at"]


feedback_viewset = GuideFeedbackViewSet("guide_feedback")


@hooks.register("register_admin_viewset")
def register_feedback_viewset():
    return feedback_viewset
