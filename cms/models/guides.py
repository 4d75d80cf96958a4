"""Procedure guides (trámites): the single source of truth for a procedure.

The page template, the search index, the JSON API, the chatbot's answers and
its training data are all derived from these typed fields.
"""

import re
import unicodedata

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.models import Orderable, TranslatableMixin
from wagtail.search import index

from ayni.validators import validate_http_url
from cms.forms import GuidePageForm
from cms.rules import PublishProblem

from .base import AyniBasePage


class GuideIndexPage(AyniBasePage):
    """``/tramites/``: guides by category, filterable."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.GuidePage"]
    max_count_per_parent = 1
    is_creatable = True

    class Meta:
        verbose_name = _("índice de trámites")
        verbose_name_plural = _("índices de trámites")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import guide_categories_with_guides, guide_list, guides_by_category

        context = super().get_context(request, *args, **kwargs)
        category = request.GET.get("categoria", "")[:100]
        online = request.GET.get("en_linea") == "1"
        guides = guide_list(parent=self, category_slug=category or None, online_only=online)
        context.update(
            {
                "selected_category": category,
                "online_only": online,
                "categories": guide_categories_with_guides(parent=self),
                "groups": guides_by_category(guides, locale_id=self.locale_id),
                "guide_count": len(guides),
            }
        )
        return context


class GuidePageTag(TaggedItemBase):
    content_object = ParentalKey("cms.GuidePage", on_delete=models.CASCADE, related_name="tagged_items")


class GuidePage(AyniBasePage):
    category = models.ForeignKey(
        "cms.GuideCategory",
        verbose_name=_("categoría"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guides",
    )
    cost_amount = models.DecimalField(
        _("costo (Bs)"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Monto en bolivianos; 0 si es gratuito; vacío si depende del caso."),
    )
    cost_text = models.CharField(_("costo (detalle)"), max_length=300, blank=True)
    duration_days = models.PositiveSmallIntegerField(_("plazo (días hábiles)"), null=True, blank=True)
    duration_text = models.CharField(_("plazo (detalle)"), max_length=300, blank=True)
    office = models.ForeignKey(
        "cms.Office",
        verbose_name=_("oficina"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="guides",
    )
    online = models.BooleanField(_("se puede hacer en línea"), default=False)
    online_url = models.URLField(_("enlace al trámite en línea"), blank=True, validators=[validate_http_url])
    tags = ClusterTaggableManager(through=GuidePageTag, blank=True, verbose_name=_("etiquetas"))

    base_form_class = GuidePageForm
    parent_page_types = ["cms.GuideIndexPage"]
    subpage_types: list = []
    is_creatable = True
    cache_rendered_html = True

    content_panels = AyniBasePage.content_panels + [
        FieldPanel("category"),
        InlinePanel("alternative_names", heading=_("Nombres que usa la ciudadanía"), label=_("alias")),
        InlinePanel("requirements", heading=_("Requisitos"), label=_("requisito"), min_num=0),
        MultiFieldPanel([FieldRowPanel([FieldPanel("cost_amount"), FieldPanel("cost_text")])], heading=_("Costo")),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("duration_days"), FieldPanel("duration_text")])], heading=_("Plazo")
        ),
        FieldPanel("office"),
        MultiFieldPanel([FieldPanel("online"), FieldPanel("online_url")], heading=_("En línea")),
        InlinePanel("steps", heading=_("Pasos"), label=_("paso")),
        InlinePanel("legal_basis", heading=_("Base legal"), label=_("norma")),
        FieldPanel("tags"),
    ]

    search_fields = AyniBasePage.search_fields + [
        index.SearchField("title", boost=3),
        index.AutocompleteField("title"),
        index.RelatedFields("alternative_names", [index.SearchField("name", boost=3), index.AutocompleteField("name")]),
        index.RelatedFields("requirements", [index.SearchField("text")]),
        index.RelatedFields("category", [index.SearchField("name")]),
        index.RelatedFields("tags", [index.SearchField("name")]),
        index.FilterField("online"),
        index.FilterField("category"),
    ]

    api_fields = AyniBasePage.api_fields + [
        APIField(name)
        for name in ("cost_amount", "cost_text", "duration_days", "duration_text", "online", "online_url")
    ]

    class Meta:
        verbose_name = _("guía de trámite")
        verbose_name_plural = _("guías de trámites")

    # A summary shorter than this cannot say what the procedure is for; a longer one is
    # no longer a summary (it heads search results, the guide list and the bot's answer).
    SUMMARY_MIN_CHARS = 20
    SUMMARY_MAX_CHARS = 300

    def publish_problems(self) -> list[PublishProblem]:
        """What this guide lacks before it may be published (empty: it may be published).

        The one publishing rule of guides: the edit form, the bulk publish action,
        the catalogue import and ``cms.services.guide_upsert`` all ask it. It reads
        the fields and child relations as they are in memory, so it also judges an
        unsaved guide built from a form or a catalogue row. The rules cover what
        the guide page and the chatbot answer: what it is for, what to bring, what
        it costs, how long it takes, where (or at which address online) and how.
        """
        return [
            *self._summary_problems(),
            *self._requirement_problems(),
            *self._cost_and_duration_problems(),
            *self._where_and_how_problems(),
            *self._legal_basis_problems(),
        ]

    def _summary_problems(self) -> list[PublishProblem]:
        summary = " ".join((self.summary or "").split())
        if len(summary) < self.SUMMARY_MIN_CHARS:
            message = gettext("Escribe un resumen de al menos %(min)d caracteres que diga para qué sirve el trámite.")
            return [PublishProblem("summary", message % {"min": self.SUMMARY_MIN_CHARS})]
        if len(summary) > self.SUMMARY_MAX_CHARS:
            message = gettext("El resumen no puede pasar de %(max)d caracteres; el detalle va en requisitos y pasos.")
            return [PublishProblem("summary", message % {"max": self.SUMMARY_MAX_CHARS})]
        return []

    def _requirement_problems(self) -> list[PublishProblem]:
        requirements = [r.text for r in self.requirements.all() if (r.text or "").strip()]
        if not requirements:
            return [PublishProblem("requirements", gettext("No se puede publicar una guía sin requisitos."))]
        repeated = _repeated(requirements)
        if repeated:
            items = "; ".join(f"«{r}»" for r in repeated)
            return [PublishProblem("requirements", gettext("Requisitos repetidos: %(items)s.") % {"items": items})]
        return []

    def _cost_and_duration_problems(self) -> list[PublishProblem]:
        problems = []
        if self.cost_amount is None and not (self.cost_text or "").strip():
            message = gettext("Indica el costo: un monto (0 si es gratuito) o, si depende del caso, el detalle.")
            problems.append(PublishProblem("cost_amount", message))
        if self.duration_days is None and not (self.duration_text or "").strip():
            message = gettext("Indica el plazo: los días hábiles o, si depende del caso, el detalle.")
            problems.append(PublishProblem("duration_days", message))
        return problems

    def _where_and_how_problems(self) -> list[PublishProblem]:
        """In person: an office and the steps. Online: an address (its own, or the portal's online platform)."""
        problems = []
        if self.online:
            if not (self.online_url or "").strip() and not _portal_online_platform_url():
                message = gettext(
                    "Una guía que se hace en línea necesita el enlace al trámite en línea "
                    "(o el de la plataforma en línea en la configuración del portal)."
                )
                problems.append(PublishProblem("online_url", message))
            return problems
        if self.office_id is None and self.office is None:
            problems.append(PublishProblem("office", gettext("No se puede publicar una guía sin oficina de atención.")))
        if not any((step.text or "").strip() for step in self.steps.all()):
            problems.append(PublishProblem("steps", gettext("Un trámite presencial necesita sus pasos.")))
        return problems

    def _legal_basis_problems(self) -> list[PublishProblem]:
        """The norms cited must be published (their page is linked) and cited once."""
        problems = []
        regulations = [item.regulation for item in self.legal_basis.all() if item.regulation_id]
        drafts = [regulation.title for regulation in regulations if not regulation.live]
        if drafts:
            message = gettext("La base legal cita normas no publicadas: %(items)s.")
            problems.append(PublishProblem("legal_basis", message % {"items": "; ".join(f"«{t}»" for t in drafts)}))
        if len({regulation.pk for regulation in regulations}) < len(regulations):
            problems.append(PublishProblem("legal_basis", gettext("La base legal cita la misma norma más de una vez.")))
        return problems

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import guide_category, guide_jsonld, guide_legal_basis, guide_office

        context = super().get_context(request, *args, **kwargs)
        # The category and the office in the guide's language (their translation, or the original).
        context["category"] = guide_category(page=self)
        context["office"] = guide_office(page=self)
        context["jsonld"] = guide_jsonld(page=self, request=request)
        context["legal_pages"] = guide_legal_basis(page=self)
        return context


def _requirement_key(text: str) -> str:
    """A requirement line folded for comparison: case, accents, spacing and final punctuation ignored."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", folded).strip(" .;,:")


def _repeated(texts: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated = []
    for text in texts:
        key = _requirement_key(text)
        if key in seen and text not in repeated:
            repeated.append(text)
        seen.add(key)
    return repeated


def _portal_online_platform_url() -> str:
    from cms.selectors import site_contact

    return site_contact().online_platform_url


class GuideRequirement(TranslatableMixin, Orderable):
    page = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="requirements")
    text = models.CharField(_("requisito"), max_length=500)
    note = models.CharField(_("nota"), max_length=300, blank=True)

    panels = [FieldPanel("text"), FieldPanel("note")]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("requisito")

    def __str__(self) -> str:
        return self.text


class GuideStep(TranslatableMixin, Orderable):
    page = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="steps")
    text = models.CharField(_("paso"), max_length=500)

    panels = [FieldPanel("text")]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("paso")

    def __str__(self) -> str:
        return self.text


class GuideAlias(TranslatableMixin, Orderable):
    page = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="alternative_names")
    name = models.CharField(_("alias"), max_length=200)

    panels = [FieldPanel("name")]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("alias")
        verbose_name_plural = _("alias")

    def __str__(self) -> str:
        return self.name


class GuideLegalBasis(Orderable):
    page = ParentalKey(GuidePage, on_delete=models.CASCADE, related_name="legal_basis")
    regulation = models.ForeignKey(
        "cms.RegulationPage", verbose_name=_("norma"), on_delete=models.CASCADE, related_name="+"
    )

    panels = [FieldPanel("regulation")]

    class Meta(Orderable.Meta):
        verbose_name = _("base legal")
        verbose_name_plural = _("base legal")
