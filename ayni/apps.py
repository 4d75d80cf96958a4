from datetime import timedelta

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AyniConfig(AppConfig):
    """The core app: infrastructure every app uses (client keys, limits, counters, schedule)."""

    name = "ayni"
    verbose_name = _("Núcleo del portal")

    def ready(self):
        from ayni import schedule, tasks

        # Tasks left RUNNING by a dead worker go back to the queue.
        schedule.register("ayni.stale_tasks", tasks.stale_tasks_requeue, every=schedule.stale_sweep_every())
        # Grouped notifications whose window has closed (each is also flushed by a deferred task).
        schedule.register("ayni.notification_groups", tasks.notification_groups_flush, every=timedelta(minutes=1))
