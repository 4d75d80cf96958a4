from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpendataConfig(AppConfig):
    name = "opendata"
    verbose_name = _("Datos abiertos")
    demo_loader = "opendata.demo.loader.load_demo"  # manage.py load_demo (ayni.demo)

    def ready(self):
        from datetime import timedelta

        from ayni import schedule

        from . import tasks

        # The datasets other apps publish through ayni.published_tables (participation's figures).
        schedule.register("opendata.published_datasets", tasks.published_datasets_task, every=timedelta(days=7))
        # A safety net: changes enqueue the outbox themselves, retries come back when due.
        schedule.register("opendata.ckan_outbox", tasks.ckan_outbox_process_task, every=timedelta(minutes=15))
