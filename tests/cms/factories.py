"""Factories for the content: snippets and pages, put in Wagtail's tree where the portal puts them.

Pages are created under their section's index (``/tramites/``, ``/normativa/``,
``/noticias/``) with Wagtail's tree API (``parent.add_child(instance=...)``) and
published through a revision, as editors do; ``live=False`` leaves a draft.
The index pages are those of the default site, created if the site has none.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from wagtail.models import Page, Site

from cms.models import (
    GuideCategory,
    GuideIndexPage,
    GuidePage,
    GuideRequirement,
    GuideStep,
    HomePage,
    NewsIndexPage,
    NewsPage,
    Office,
    RegulationIndexPage,
    RegulationPage,
)


def site_home() -> Page:
    """The default site's home page (a site and its home are created if there is none)."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page.specific
    root = Page.get_first_root_node()
    home = HomePage(title="Inicio", slug="inicio-pruebas")
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True, site_name="Ayni")
    return home


def section_index(model, *, slug: str, title: str) -> Page:
    """The home's index page of one type (``GuideIndexPage``…), created and published if missing."""
    home = site_home()
    index = model.objects.child_of(home).first()
    if index is None:
        index = model(title=title, slug=slug)
        home.add_child(instance=index)
        index.save_revision().publish()
    return index


class PageFactory(factory.django.DjangoModelFactory):
    """A page added under ``parent`` (default: its section's index) and published unless ``live=False``."""

    class Meta:
        abstract = True

    title = factory.Sequence(lambda n: f"Página de prueba {n}")
    slug = factory.Sequence(lambda n: f"pagina-de-prueba-{n}")
    summary = "Resumen de prueba."
    live = True
    parent = None

    @classmethod
    def _index(cls) -> Page:
        raise NotImplementedError

    @classmethod
    def _create(cls, model_class, *args, parent=None, live=True, **kwargs):
        children = {name: kwargs.pop(name) for name in list(kwargs) if name in cls._child_relations}
        page = model_class(*args, live=live, **kwargs)
        for name, items in children.items():
            setattr(page, name, items)
        (parent or cls._index()).add_child(instance=page)
        revision = page.save_revision()
        if live:
            revision.publish()
            page.refresh_from_db()
        return page

    _child_relations: tuple[str, ...] = ()


class GuideCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GuideCategory
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Categoría de prueba {n}")
    slug = factory.Sequence(lambda n: f"categoria-de-prueba-{n}")
    sort_order = 0


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Oficina de prueba {n}")
    address = "Plaza 14 de Septiembre, planta baja"
    hours = "Lunes a viernes de 08:30 a 16:30"
    phone = "4 4258030"
    email = "atencion@ejemplo.bo"


class GuidePageFactory(PageFactory):
    """A guide that may be published: a category, an office, two requirements and two steps.

    Pass ``requirements=[GuideRequirement(text=...)]``, ``steps=[...]`` or
    ``alternative_names=[GuideAlias(name=...)]`` to replace them (``[]`` for none).
    """

    class Meta:
        model = GuidePage

    title = factory.Sequence(lambda n: f"Guía de prueba {n}")
    slug = factory.Sequence(lambda n: f"guia-de-prueba-{n}")
    summary = "Resumen de prueba de un trámite municipal."  # long enough for GuidePage.publish_problems()
    category = factory.SubFactory(GuideCategoryFactory)
    office = factory.SubFactory(OfficeFactory)
    cost_amount = Decimal("25.00")
    cost_text = "Bs 25 por formulario"
    duration_days = 3
    duration_text = "Tres días hábiles"
    online = False
    requirements = factory.LazyFunction(
        lambda: [
            GuideRequirement(text="Fotocopia de la cédula de identidad"),
            GuideRequirement(text="Formulario de solicitud llenado", note="Se recoge en ventanilla"),
        ]
    )
    steps = factory.LazyFunction(
        lambda: [GuideStep(text="Presentar los requisitos en ventanilla"), GuideStep(text="Recoger el documento")]
    )
    alternative_names = factory.LazyFunction(list)

    _child_relations = ("requirements", "steps", "alternative_names", "legal_basis")

    @classmethod
    def _index(cls) -> Page:
        return section_index(GuideIndexPage, slug="tramites", title="Guías de trámites")


class RegulationPageFactory(PageFactory):
    class Meta:
        model = RegulationPage

    title = factory.Sequence(lambda n: f"Ley Municipal de prueba {n}")
    slug = factory.Sequence(lambda n: f"norma-de-prueba-{n}")
    reg_type = RegulationPage.RegulationType.MUNICIPAL_LAW
    number = factory.Sequence(lambda n: f"{900 + n}/2024")
    date = datetime.date(2024, 3, 15)
    status = RegulationPage.Status.IN_FORCE

    @classmethod
    def _index(cls) -> Page:
        return section_index(RegulationIndexPage, slug="normativa", title="Normativa")


class NewsPageFactory(PageFactory):
    class Meta:
        model = NewsPage

    title = factory.Sequence(lambda n: f"Comunicado de prueba {n}")
    slug = factory.Sequence(lambda n: f"comunicado-de-prueba-{n}")
    date = factory.LazyFunction(datetime.date.today)
    body = "<p>El Gobierno Autónomo Municipal informa a la población.</p>"

    @classmethod
    def _index(cls) -> Page:
        return section_index(NewsIndexPage, slug="noticias", title="Noticias")


def english(page: Page) -> Page:
    """``page``'s live English translation, made with Wagtail's ``copy_for_translation`` when it has
    none (a page a factory made exists in Spanish only, and ``/en/`` serves translations only)."""
    from wagtail.models import Locale

    locale, _created = Locale.objects.get_or_create(language_code="en")
    translated = page.get_translation_or_none(locale)
    if translated is None:
        translated = page.copy_for_translation(locale, copy_parents=True)
    if not translated.live:
        translated.save_revision().publish()
        translated.refresh_from_db()
    return translated.specific
