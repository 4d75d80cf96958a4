from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel
from wagtail.models import Orderable
from wagtail.search import index

from .base import AyniBasePage


class TransparencyIndexPage(AyniBasePage):
    """``/transparencia/``: reports grouped by category and year."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.TransparencyPage"]
    max_count_per_parent = 1
    is_creatable = True

    class Meta:
        verbose_name = _("índice de transparencia")
        verbose_name_plural = _("índices de transparencia")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import transparency_list

        context = super().get_context(request, *args, **kwargs)
        category = request.GET.get("categoria", "")
        valid = category if category in TransparencyPage.Category.values else None
        pages = transparency_list(parent=self, category=valid)
        groups: dict = {}
        for page in pages:
            groups.setdefault(page.get_category_display(), []).append(page)
        context.update(
            {
                "groups": list(groups.items()),
                "categories": TransparencyPage.Category.choices,
                "selected_category": valid or "",
            }
        )
        return context


class TransparencyPage(AyniBasePage):
    class Category(models.TextChoices):
        BUDGET = "presupuesto", _("Presupuesto")
        AUDITS = "auditorias", _("Auditorías")
        PLANS = "planes", _("Planes (PEI, POA, PTDI)")
        REPORTS = "informes", _("Informes de gestión")

    category = models.CharField(_("categoría"), max_length=20, choices=Category.choices)
    year = models.PositiveSmallIntegerField(_("gestión (año)"))

    parent_page_types = ["cms.TransparencyIndexPage"]
    subpage_types: list = []
    is_creatable = True
    cache_rendered_html = True

    content_panels = AyniBasePage.content_panels + [
        FieldRowPanel([FieldPanel("category"), FieldPanel("year")]),
        InlinePanel("documents", heading=_("Documentos"), label=_("documento"), min_num=1),
    ]
    search_fields = AyniBasePage.search_fields + [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.RelatedFields("documents", [index.SearchField("title")]),
        index.FilterField("category"),
        index.FilterField("year"),
    ]

    class Meta:
        verbose_name = _("informe de transparencia")
        verbose_name_plural = _("informes de transparencia")


class TransparencyDocument(Orderable):
    page = ParentalKey(TransparencyPage, on_delete=models.CASCADE, related_name="documents")
    document = models.ForeignKey(
        "wagtaildocs.Document", verbose_name=_("documento"), on_delete=models.CASCADE, related_name="+"
    )
    title = models.CharField(_("título"), max_length=255, blank=True)

    panels = [FieldPanel("document"), FieldPanel("title")]

    class Meta(Orderable.Meta):
        verbose_name = _("documento")

    @property
    def display_title(self) -> str:
        return self.title or self.document.title
