"""Wagtail admin: the periodic jobs the worker runs, with their last and next run (issue 13, item 8).

Superusers only: the list names internal jobs. The same list is printed by
``manage.py schedule``.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.reports import ReportView

from ayni.schedule import job_statuses


def _every(status) -> str:
    seconds = int(status.every.total_seconds())
    if seconds % 86400 == 0:
        return ngettext("%(n)d día", "%(n)d días", seconds // 86400) % {"n": seconds // 86400}
    if seconds % 3600 == 0:
        return ngettext("%(n)d hora", "%(n)d horas", seconds // 3600) % {"n": seconds // 3600}
    if seconds % 60 == 0:
        return ngettext("%(n)d minuto", "%(n)d minutos", seconds // 60) % {"n": seconds // 60}
    return f"{status.every.total_seconds():g} s"


def _last(status) -> str:
    if status.last_enqueued_at is None:
        return gettext("nunca")
    return date_format(timezone.localtime(status.last_enqueued_at), "DATETIME_FORMAT")


class ScheduledJobsReportView(ReportView):
    page_title = _("Tareas periódicas")
    verbose_name = _("tarea periódica")
    verbose_name_plural = _("tareas periódicas")
    header_icon = "time"
    index_url_name = "ayni_schedule"
    index_results_url_name = "ayni_schedule_results"
    paginate_by = 100
    list_export = ["name", "task", "every", "last_enqueued_at", "next_due_at"]
    export_headings = {
        "name": _("Tarea"),
        "task": _("Función"),
        "every": _("Cada"),
        "last_enqueued_at": _("Última vez"),
        "next_due_at": _("Próxima vez"),
    }

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @property
    def columns(self):
        return [
            Column("name", label=_("Tarea")),
            Column("every", label=_("Cada"), accessor=_every),
            Column("last_enqueued_at", label=_("Última vez"), accessor=_last),
            DateColumn("next_due_at", label=_("Próxima vez")),
            Column("task", label=_("Función")),
        ]

    def get_queryset(self):
        return job_statuses()

    def to_row_dict(self, item):
        return {
            "name": item.name,
            "task": item.task,
            "every": _every(item),
            "last_enqueued_at": item.last_enqueued_at,
            "next_due_at": item.next_due_at,
        }
