"""Open-data defaults edited by staff (admin menu Propiedades → Datos abiertos).

One record for the installation; until staff save it the defaults of
``opendata.vocab`` apply. Read through ``opendata.selectors.default_licence()``.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from opendata import vocab


@register_setting(icon="table")
class OpenDataSettings(BaseGenericSetting):
    default_licence = models.CharField(
        _("licencia por omisión"),
        max_length=20,
        choices=vocab.LICENCE_CHOICES,
        default=vocab.DEFAULT_LICENCE,
        help_text=_("La licencia que propone un conjunto de datos nuevo (se puede cambiar en cada uno)."),
    )

    panels = [FieldPanel("default_licence")]

    class Meta:
        verbose_name = _("datos abiertos")
        verbose_name_plural = _("datos abiertos")


def default_licence() -> str:
    """The licence a new dataset gets unless one is given (the model field's default)."""
    value = OpenDataSettings.objects.values_list("default_licence", flat=True).first()
    return value if value in vocab.LICENCES else vocab.DEFAULT_LICENCE
