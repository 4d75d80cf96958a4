from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
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


class ImportGuidesMenuItem(MenuItem):
    def is_shown(self, request):
        from cms.admin_views import user_can_import

        return user_can_import(request.user)


@hooks.register("register_admin_urls")
def register_import_guides_urls():
    from cms.admin_views import import_guides_confirm_view, import_guides_view

    return [
        path("importar-guias/", import_guides_view, name="cms_import_guides"),
        path("importar-guias/confirmar/", import_guides_confirm_view, name="cms_import_guides_confirm"),
    ]


@hooks.register("register_admin_menu_item")
def register_import_guides_menu_item():
    return ImportGuidesMenuItem(_("Importar guías"), reverse("cms_import_guides"), icon_name="upload", order=310)


@hooks.register("construct_homepage_summary_items")
def add_guides_not_reviewed_summary_item(request, items):
    """Dashboard: live guides not published (reviewed) for 12 months, linked to Wagtail's aging pages report."""
    from urllib.parse import urlencode

    from django.contrib.contenttypes.models import ContentType
    from django.utils.translation import ngettext
    from wagtail.permission_policies.pages import PagePermissionPolicy

    from ayni.dashboard import CountSummaryItem
    from cms import selectors
    from cms.models import GuidePage

    query = {
        "content_type": ContentType.objects.get_for_model(GuidePage).pk,
        "last_published_at": selectors.guide_review_cutoff().date().isoformat(),
        "live": "true",
    }
    items.append(
        CountSummaryItem(
            request,
            count=lambda: selectors.guides_not_reviewed(user=request.user).count(),
            label=lambda n: (
                ngettext("%(count)d guía sin revisar en 12 meses", "%(count)d guías sin revisar en 12 meses", n)
                % {"count": n}
            ),
            url=reverse("wagtailadmin_reports:aging_pages") + "?" + urlencode(query),
            icon="time",
            order=180,
            # Who may open the aging pages report.
            shown=PagePermissionPolicy().user_has_any_permission(request.user, ["add", "change", "publish"]),
        )
    )


def _checked_bulk_publish():
    """Bulk publish asks each page's ``publish_problems()`` (cms.admin_views.CheckedPublishBulkAction)."""
    from cms.admin_views import CheckedPublishBulkAction

    return CheckedPublishBulkAction


# Registered after Wagtail's own publish action (``order``), which it replaces.
hooks.register("register_bulk_action", _checked_bulk_publish(), order=100)
