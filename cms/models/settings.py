"""The portal's own details, edited by staff (admin menu Propiedades → Portal del municipio).

One record for the whole installation (a ``BaseGenericSetting``: one municipality
per portal; the bot, e-mails and tasks have no request to pick a site from).
Until staff save it, the environment gives the initial values (``AYNI_SITE_NAME``,
``AYNI_MUNICIPALITY_PHONE``); the demo loader fills it from ``cms/demo/tramites.yaml``.
Everything reads it through ``cms.selectors.site_contact()`` (cached; saving
purges that cache and the page cache: ``cms.publishing``).
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from ayni.validators import validate_http_url

validate_phone = RegexValidator(
    r"^\+?[0-9][0-9 ()\-]{2,30}$", _("Escribe solo números, espacios, guiones o paréntesis, como 800-13-5555.")
)


def default_name() -> str:
    return settings.WAGTAIL_SITE_NAME


def default_phone() -> str:
    return settings.AYNI_MUNICIPALITY_PHONE


# (field, the network's name as shown to residents)
SOCIAL_NETWORKS = (
    ("facebook_url", "Facebook"),
    ("instagram_url", "Instagram"),
    ("x_url", "X"),
    ("youtube_url", "YouTube"),
    ("tiktok_url", "TikTok"),
)


def _social(name: str) -> models.URLField:
    return models.URLField(name, blank=True, validators=[validate_http_url])


@register_setting(icon="site")
class PortalSettings(BaseGenericSetting):
    name = models.CharField(
        _("nombre del municipio"),
        max_length=200,
        default=default_name,
        help_text=_("Como aparece en el encabezado, los títulos de las páginas y los datos abiertos."),
    )
    short_name = models.CharField(
        _("nombre corto"),
        max_length=60,
        blank=True,
        help_text=_("Para pantallas pequeñas, por ejemplo «GAM Ejemplo». Si queda vacío se usa el nombre."),
    )
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logotipo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Se muestra sobre fondo azul oscuro, a 48 píxeles de alto."),
    )
    phone = models.CharField(
        _("línea gratuita"),
        max_length=40,
        default=default_phone,
        validators=[validate_phone],
        help_text=_("La línea 800 de atención: la muestran el pie de página y el asistente virtual."),
    )
    hours = models.CharField(
        _("horario de atención"),
        max_length=200,
        blank=True,
        help_text=_("Por ejemplo «Lunes a viernes de 08:30 a 16:30»."),
    )
    online_platform_name = models.CharField(
        _("nombre de la plataforma en línea"), max_length=100, blank=True, help_text=_("Por ejemplo «Plataforma 24/7».")
    )
    online_platform_url = models.URLField(
        _("enlace a la plataforma en línea"), blank=True, validators=[validate_http_url]
    )
    facebook_url = _social("Facebook")
    instagram_url = _social("Instagram")
    x_url = _social("X (Twitter)")
    youtube_url = _social("YouTube")
    tiktok_url = _social("TikTok")

    panels = [
        MultiFieldPanel([FieldPanel("name"), FieldPanel("short_name"), FieldPanel("logo")], heading=_("Municipio")),
        MultiFieldPanel([FieldRowPanel([FieldPanel("phone"), FieldPanel("hours")])], heading=_("Atención")),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("online_platform_name"), FieldPanel("online_platform_url")])],
            heading=_("Trámites en línea"),
        ),
        MultiFieldPanel([FieldPanel(field) for field, _name in SOCIAL_NETWORKS], heading=_("Redes sociales")),
    ]

    select_related = ["logo"]

    class Meta:
        verbose_name = _("portal del municipio")
        verbose_name_plural = _("portal del municipio")
