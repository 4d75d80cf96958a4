from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    label = "portal_search"
    verbose_name = _("Búsqueda")

    def ready(self) -> None:
        from datetime import timedelta

        from django.utils.module_loading import autodiscover_modules

        from ayni import schedule
        from search import signals, tasks

        # Every installed app's ``search_types`` module registers its types
        # (see search.registry); then search.signals keeps them fresh.
        autodiscover_modules("search_types")
        signals.connect()
        # Searches are logged in the cache; the worker writes what a batch not yet full holds.
        schedule.register("search.query_log_flush", tasks.search_query_log_flush_task, every=timedelta(minutes=5))
