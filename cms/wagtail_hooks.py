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


# --- Moderation workflow: "Approve" asks the guide's publish_problems() too ------------------------


def _refusal_message(page, problems) -> str:
    return _("No se aprobó «%(title)s»: le falta lo necesario para publicarse. %(problems)s") % {
        "title": page.get_admin_display_title(),
        "problems": " ".join(problem.message for problem in problems),
    }


def _checked_page_viewset():
    """GuidePage's admin views: approving in the moderation workflow runs the publish checks.

    Wagtail's "Aprobar"/"Aprobar y publicar" publishes the revision under review
    without the edit form's check (``cms.forms.GuidePageForm`` checks only
    "Publicar"). Here approval is refused, with the problems in a message, when
    the guide could not be published: from the edit form (the edits are kept as
    a draft) and from the dashboard's "awaiting your review" buttons alike. The
    workflow stays where it was, so the reviewer can fix the guide or reject it.
    """
    from django.contrib import messages
    from django.shortcuts import redirect
    from wagtail.admin.views.pages.edit import EditView
    from wagtail.admin.views.pages.workflow import WorkflowActionView
    from wagtail.admin.viewsets.pages import PageViewSet

    from cms.admin_views import page_publish_problems
    from cms.models import GuidePage

    class CheckedEditView(EditView):
        def perform_workflow_action(self):
            if self.workflow_action == "approve":
                submitted = self.form._guide_as_submitted(self.form.cleaned_data)
                problems = submitted.publish_problems()
                if problems:
                    response = self.save_action()  # the edits are kept as a draft, the workflow waits
                    messages.error(self.request, _refusal_message(self.page, problems))
                    return response
            return super().perform_workflow_action()

    class CheckedWorkflowActionView(WorkflowActionView):
        def post(self, request, *args, **kwargs):
            if self.action_name == "approve":
                problems = page_publish_problems(self.object)
                if problems:
                    messages.error(request, _refusal_message(self.object, problems))
                    edit_url = reverse("wagtailadmin_pages:edit", args=[self.object.pk])
                    if request.headers.get("x-requested-with") == "XMLHttpRequest":
                        return self.render_modal_json(request, {"step": "success", "redirect": edit_url})
                    return redirect(edit_url)
            return super().post(request, *args, **kwargs)

    class GuidePageViewSet(PageViewSet):
        model = GuidePage
        edit_view_class = CheckedEditView
        workflow_action_view_class = CheckedWorkflowActionView

    return GuidePageViewSet("guide_pages")


@hooks.register("register_admin_viewset")
def register_checked_guide_viewset():
    return _checked_page_viewset()
