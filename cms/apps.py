from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = _("Contenidos")
    demo_loader = "cms.demo.loader.load_demo"  # manage.py load_demo (ayni.demo)

    def ready(self) -> None:
        from cms import publishing

        publishing.connect()
