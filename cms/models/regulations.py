from django.core.paginator import Paginator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel
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
        year_value = int(year) if year.isdigit() and len(year) == 4 else None
        valid_type = reg_type if reg_type in RegulationPage.RegulationType.values else None
        regulations = regulation_list(parent=self, reg_type=valid_type, year=year_value)
        page = Paginator(regulations, self.per_page).get_page(request.GET.get("pagina"))
        context.update(
            {
                "regulations": page,
                "types": RegulationPage.RegulationType.choices,
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
        REPEALED = "abrogada", _("Abrogada")

    reg_type = models.CharField(_("tipo"), max_length=30, choices=RegulationType.choices)
    number = models.CharField(_("número"), max_length=50, blank=True)
    date = models.DateField(_("fecha de promulgación"))
    status = models.CharField(_("estado"), max_length=20, choices=Status.choices, default=Status.IN_FORCE)
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
        FieldRowPanel([FieldPanel("date"), FieldPanel("status")]),
        FieldPanel("document"),
    ]
    search_fields = AyniBasePage.search_fields + [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.SearchField("number"),
        index.SearchField("get_reg_type_display"),
        index.FilterField("reg_type"),
        index.FilterField("date"),
    ]

    class Meta:
        verbose_name = _("norma")
        verbose_name_plural = _("normas")

    @property
    def citation(self) -> str:
        label = self.get_reg_type_display()
        return f"{label} N° {self.number}" if self.number else label
