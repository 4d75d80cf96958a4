from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from ayni.admin_views import ScheduledJobsReportView


@hooks.register("register_admin_urls")
def register_core_urls():
    return [
        path("tareas-periodicas/", ScheduledJobsReportView.as_view(), name="ayni_schedule"),
        path(
            "tareas-periodicas/resultados/",
            ScheduledJobsReportView.as_view(results_only=True),
            name="ayni_schedule_results",
        ),
    ]


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_reports_menu_item")
def register_schedule_report_menu_item():
    return SuperuserMenuItem(_("Tareas periódicas"), reverse("ayni_schedule"), icon_name="time", order=900)
