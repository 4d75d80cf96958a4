from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "search"
    label = "portal_search"
    verbose_name = _("Búsqueda")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from cms import publishing

        # Every installed app's ``search_types`` module registers its types
        # (see search.registry); then cms.publishing keeps them fresh.
        autodiscover_modules("search_types")
        publishing.connect_search()
