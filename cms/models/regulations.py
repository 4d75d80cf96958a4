from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, PageChooserPanel
from wagtail.fields import RichTextField
from wagtail.search import index

from .base import AyniBasePage


class RegulationIndexPage(AyniBasePage):
    """``/normativa/``: regulations filterable by type and year."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.RegulationPage"]
    max_count_per_parent = 1
    is_creatable = True
    per_page = 20

    class Meta:
        verbose_name = _("índice de normativa")
        verbose_name_plural = _("índices de normativa")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import regulation_list, regulation_years

        context = super().get_context(request, *args, **kwargs)
        reg_type = request.GET.get("tipo", "")
        year = request.GET.get("anio", "")
        status = request.GET.get("estado", "")
        year_value = int(year) if year.isdigit() and len(year) == 4 else None
        valid_type = reg_type if reg_type in RegulationPage.RegulationType.values else None
        valid_status = status if status in RegulationPage.Status.values else None
        regulations = regulation_list(parent=self, reg_type=valid_type, year=year_value, status=valid_status)
        page = Paginator(regulations, self.per_page).get_page(request.GET.get("pagina"))
        context.update(
            {
                "regulations": page,
                "types": RegulationPage.RegulationType.choices,
                "statuses": RegulationPage.Status.choices,
                "selected_status": valid_status or "",
                "years": regulation_years(parent=self),
                "selected_type": valid_type or "",
                "selected_year": year_value,
            }
        )
        return context


class RegulationPage(AyniBasePage):
    class RegulationType(models.TextChoices):
        CONSTITUTION = "constitucion", _("Constitución")
        LAW = "ley", _("Ley")
        SUPREME_DECREE = "decreto-supremo", _("Decreto Supremo")
        MUNICIPAL_LAW = "ley-municipal", _("Ley Municipal Autónoma")
        MAYORAL_DECREE = "decreto-edil", _("Decreto Edil")
        MUNICIPAL_DECREE = "decreto-municipal", _("Decreto Municipal")
        RESOLUTION = "resolucion", _("Resolución")
        REGULATION = "reglamento", _("Reglamento")

    class Status(models.TextChoices):
        IN_FORCE = "vigente", _("Vigente")
        AMENDED = "modificada", _("Vigente con modificaciones")
        REPEALED = "abrogada", _("Abrogada")

    class TextKind(models.TextChoices):
        FULL = "completo", _("Texto completo")
        EXCERPT = "extracto", _("Extracto del texto oficial")
        SUMMARY = "resumen", _("Resumen (no es el texto oficial)")

    reg_type = models.CharField(_("tipo"), max_length=30, choices=RegulationType.choices)
    number = models.CharField(_("número"), max_length=50, blank=True)
    date = models.DateField(_("fecha de promulgación"))
    status = models.CharField(_("estado"), max_length=20, choices=Status.choices, default=Status.IN_FORCE)
    status_date = models.DateField(
        _("fecha de la abrogación o modificación"),
        null=True,
        blank=True,
        help_text=_("Solo si la norma está abrogada o modificada."),
    )
    status_by = models.ForeignKey(
        "cms.RegulationPage",
        verbose_name=_("norma que la abroga o modifica"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="status_changes",
        help_text=_("Si esa norma está publicada en el portal."),
    )
    status_by_citation = models.CharField(
        _("cita de la norma que la abroga o modifica"),
        max_length=255,
        blank=True,
        help_text=_("Si esa norma no está en el portal, por ejemplo «Ley N° 1178, art. 5»."),
    )
    text_kind = models.CharField(_("tipo de texto"), max_length=20, choices=TextKind.choices, default=TextKind.FULL)
    body = RichTextField(
        _("texto de la norma"),
        blank=True,
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link"],
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("documento"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    parent_page_types = ["cms.RegulationIndexPage"]
    subpage_types: list = []
    is_creatable = True
    cache_rendered_html = True

    content_panels = AyniBasePage.content_panels + [
        FieldRowPanel([FieldPanel("reg_type"), FieldPanel("number")]),
        FieldPanel("date"),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldPanel("status_date"),
                PageChooserPanel("status_by", "cms.RegulationPage"),
                FieldPanel("status_by_citation"),
            ],
            heading=_("Vigencia"),
        ),
        FieldPanel("text_kind"),
        FieldPanel("body"),
        FieldPanel("document"),
    ]
    search_fields = AyniBasePage.search_fields + [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.SearchField("number"),
        index.SearchField("body"),
        index.SearchField("get_reg_type_display"),
        index.FilterField("reg_type"),
        index.FilterField("date"),
        index.FilterField("status"),
    ]

    class Meta:
        verbose_name = _("norma")
        verbose_name_plural = _("normas")

    @property
    def citation(self) -> str:
        label = self.get_reg_type_display()
        return f"{label} N° {self.number}" if self.number else label

    @property
    def in_force(self) -> bool:
        return self.status != self.Status.REPEALED

    def clean(self):
        super().clean()
        errors = {}
        if self.status == self.Status.IN_FORCE:
            for field in ("status_date", "status_by", "status_by_citation"):
                if getattr(self, field if field != "status_by" else "status_by_id"):
                    errors[field] = _("Una norma vigente sin modificaciones no lleva este dato.")
        if self.status_by_id and self.pk and self.status_by_id == self.pk:
            errors["status_by"] = _("Una norma no puede abrogarse ni modificarse a sí misma.")
        if self.status_date and self.date and self.status_date < self.date:
            errors["status_date"] = _("La fecha no puede ser anterior a la de promulgación.")
        if errors:
            raise ValidationError(errors)

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import regulation_citing_guides

        context = super().get_context(request, *args, **kwargs)
        context["citing_guides"] = regulation_citing_guides(regulation=self)
        return context
