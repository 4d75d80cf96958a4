from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Contenidos")

    def ready(self) -> None:
        from cms import publishing

        publishing.connect()
