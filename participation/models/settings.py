"""The verification level each participation action needs, edited by staff
(admin menu Propiedades → Participación ciudadana).

One record for the installation (a ``BaseGenericSetting``). The environment
(``AYNI_LEVEL_SUPPORT``, ``_PROPOSE``, ``_COMMENT``, ``_REPORT``, ``_THRESHOLD``,
i.e. ``settings.AYNI_ACTION_LEVELS`` and ``settings.AYNI_LEVEL_THRESHOLD``) gives
the initial values: while there is no record, the portal follows it; the record
is created with those values the first time staff open the screen, and from then
on the record decides. Everything reads it through
``participation.selectors.participation_levels()`` (cached; saving forgets the
cache and rechecks the proposals' threshold: ``participation.signals``).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting

from .accounts import LEVEL_EMAIL, LEVEL_IDENTITY

ACTIONS = ("support", "propose", "comment", "report")

ACTION_LEVEL_CHOICES = [
    (LEVEL_EMAIL, _("Correo verificado")),
    (LEVEL_IDENTITY, _("Identidad verificada con Ciudadanía Digital")),
]
THRESHOLD_LEVEL_CHOICES = [
    (LEVEL_EMAIL, _("Todos los apoyos (correo verificado)")),
    (LEVEL_IDENTITY, _("Solo los apoyos de residentes con identidad verificada con Ciudadanía Digital")),
]


def env_action_level(action: str) -> str:
    """The level the environment gives an action (AYNI_LEVEL_<ACTION>; "email" by default)."""
    return settings.AYNI_ACTION_LEVELS.get(action, LEVEL_EMAIL)


def env_threshold_level() -> str:
    return settings.AYNI_LEVEL_THRESHOLD


# The fields' defaults (named functions, so that migrations can refer to them).
def default_support_level() -> str:
    return env_action_level("support")


def default_propose_level() -> str:
    return env_action_level("propose")


def default_comment_level() -> str:
    return env_action_level("comment")


def default_report_level() -> str:
    return env_action_level("report")


def _level(verbose_name, default, help_text) -> models.CharField:
    return models.CharField(
        verbose_name, max_length=10, choices=ACTION_LEVEL_CHOICES, default=default, help_text=help_text
    )


@register_setting(icon="group")
class ParticipationSettings(BaseGenericSetting):
    support_level = _level(
        _("para apoyar propuestas"),
        default_support_level,
        _("Con identidad verificada, quien solo confirmó su correo ve cómo verificar su identidad antes de apoyar."),
    )
    propose_level = _level(_("para presentar propuestas"), default_propose_level, "")
    comment_level = _level(_("para comentar"), default_comment_level, "")
    report_level = _level(
        _("para reportar contenido"),
        default_report_level,
        _(
            "Solo los reportes de cuentas de este nivel cuentan para ocultar un contenido automáticamente; "
            "con identidad verificada, un grupo de cuentas desechables no puede ocultar nada."
        ),
    )
    threshold_level = models.CharField(
        _("apoyos que cuentan para el umbral"),
        max_length=10,
        choices=THRESHOLD_LEVEL_CHOICES,
        default=env_threshold_level,
        help_text=_(
            "Qué apoyos cuentan para que una propuesta alcance los apoyos que necesita para pasar a evaluación. "
            "Al cambiarlo, las propuestas publicadas que ya los tienen con el nuevo criterio lo alcanzan al guardar; "
            "las que ya lo habían alcanzado lo conservan."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("support_level"),
                FieldPanel("propose_level"),
                FieldPanel("comment_level"),
                FieldPanel("report_level"),
            ],
            heading=_("Verificación que pide cada acción"),
            help_text=_(
                "Correo verificado: basta una cuenta con el correo confirmado. Identidad verificada: la persona "
                "probó quién es con Ciudadanía Digital (hace falta que el portal tenga activado ese ingreso)."
            ),
        ),
        MultiFieldPanel([FieldPanel("threshold_level")], heading=_("Umbral de apoyos")),
    ]

    class Meta:
        verbose_name = _("participación ciudadana")
        verbose_name_plural = _("participación ciudadana")

    def clean(self) -> None:
        """Identity can be asked for only while sign-in with the identity provider is on."""
        super().clean()
        if getattr(settings, "OIDC_ENABLED", False):
            return
        message = _(
            "La verificación de identidad no está activada en este portal (OIDC_ISSUER, OIDC_CLIENT_ID): nadie podría "
            "alcanzar este nivel. Elige «correo verificado» o activa primero el ingreso con Ciudadanía Digital."
        )
        errors = {
            field: message
            for field in (*(f"{action}_level" for action in ACTIONS), "threshold_level")
            if getattr(self, field) == LEVEL_IDENTITY
        }
        if errors:
            raise ValidationError(errors)
