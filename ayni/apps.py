from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AyniConfig(AppConfig):
    """The core app: infrastructure every app uses (client keys, limits, counters, schedule)."""

    name = "ayni"
    verbose_name = _("Núcleo del portal")
