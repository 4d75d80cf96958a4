from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.snippets.models import register_snippet


@register_snippet
class District(models.Model):
    """A district of the municipality (proposals and complaints may name one)."""

    name = models.CharField(_("nombre"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("distrito")
        verbose_name_plural = _("distritos")

    def __str__(self) -> str:
        return self.name


@register_snippet
class MunicipalUnit(models.Model):
    """A municipal unit that receives complaints; officers are attached to units."""

    name = models.CharField(_("nombre"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="participation.UnitMembership",
        related_name="municipal_units",
        verbose_name=_("personal"),
        blank=True,
    )

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("unidad municipal")
        verbose_name_plural = _("unidades municipales")

    def __str__(self) -> str:
        return self.name


class UnitMembership(models.Model):
    """Attaches a complaint officer to a municipal unit."""

    unit = models.ForeignKey(MunicipalUnit, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unit_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "user"], name="participation_unit_member_unique")]
        verbose_name = _("miembro de unidad")
        verbose_name_plural = _("miembros de unidades")

    def __str__(self) -> str:
        return f"{self.user} → {self.unit}"
