from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = _("Participación")
    demo_loader = "participation.demo.loader.load_demo"  # manage.py load_demo (ayni.demo)

    def ready(self):
        from datetime import timedelta

        from ayni import schedule

        from . import open_data, services, signals, tasks

        open_data.register()  # its figures as an open dataset (ayni.published_tables, read by opendata)
        signals.connect()  # staff saving the participation settings (the verification levels)

        # Supports that found their proposal's row busy left its copy of the counts behind.
        schedule.register_poll("participation.support_counts", services.support_counts_poll, every=2.0)
        schedule.register("participation.personal_data_purge", tasks.personal_data_purge, every=timedelta(hours=24))
        # Hourly: a case becomes due soon at midnight, and each case is reminded once a day at most.
        schedule.register("participation.due_reminders", tasks.complaint_due_reminders, every=timedelta(hours=1))
