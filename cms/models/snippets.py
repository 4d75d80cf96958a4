from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.models import TranslatableMixin
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail_localize.fields import SynchronizedField, TranslatableField


@register_snippet
class Office(TranslatableMixin, index.Indexed, models.Model):
    """A municipal office where citizens are attended.

    Translatable (wagtail-localize): a translation has its own name and hours; the
    address, phone, e-mail and coordinates are the original's (synchronised).
    """

    name = models.CharField(_("nombre"), max_length=200)
    address = models.CharField(_("dirección"), max_length=300, blank=True)
    hours = models.CharField(_("horario de atención"), max_length=200, blank=True)
    phone = models.CharField(_("teléfono"), max_length=50, blank=True)
    email = models.EmailField(_("correo electrónico"), blank=True)
    latitude = models.DecimalField(_("latitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitud"), max_digits=9, decimal_places=6, null=True, blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("address"),
        FieldPanel("hours"),
        FieldRowPanel([FieldPanel("phone"), FieldPanel("email")]),
        MultiFieldPanel([FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")])], heading=_("Coordenadas")),
    ]
    # Staff translate the name and the hours; where and how to reach the office is the original's.
    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("hours"),
        SynchronizedField("address"),
        SynchronizedField("phone"),
        SynchronizedField("email"),
        SynchronizedField("latitude"),
        SynchronizedField("longitude"),
    ]
    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("locale"),
    ]

    class Meta(TranslatableMixin.Meta):
        ordering = ["name"]
        unique_together = [("translation_key", "locale"), ("name", "locale")]
        verbose_name = _("oficina")
        verbose_name_plural = _("oficinas")

    def __str__(self) -> str:
        return self.name

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@register_snippet
class GuideCategory(TranslatableMixin, models.Model):
    """An area of procedures (the guide index's filter and headings, the bot's menu).

    Translatable (wagtail-localize): a translation has its own name and description
    and keeps the original's slug, so ``?categoria=<slug>`` and the bot's menu
    payloads mean the same category in every language.
    """

    name = models.CharField(_("nombre"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)
    description = models.TextField(_("descripción"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("orden"), default=0)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("sort_order")]

    # The slug and the order are the original's: wagtail-localize copies them to translations.
    translatable_fields = [
        TranslatableField("name"),
        TranslatableField("description"),
        SynchronizedField("slug", overridable=False),
        SynchronizedField("sort_order"),
    ]

    class Meta(TranslatableMixin.Meta):
        ordering = ["sort_order", "name"]
        unique_together = [("translation_key", "locale"), ("name", "locale"), ("slug", "locale")]
        verbose_name = _("categoría de trámites")
        verbose_name_plural = _("categorías de trámites")

    def __str__(self) -> str:
        return self.name
