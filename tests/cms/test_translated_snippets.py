"""Guide categories and offices in English (issue 14, "English end to end"): translatable snippets
(wagtail-localize), the demo's English ones, and every page showing them in its language."""

import re

import pytest
import yaml
from django.core.management import call_command
from wagtail.models import Locale

from cms.demo.loader import DATA_DIR, english_guides_link_english_snippets
from cms.models import GuideCategory, GuideIndexPage, GuidePage, Office
from cms.selectors import guide_categories_with_guides
from tests.cms.factories import GuideCategoryFactory, GuidePageFactory, OfficeFactory, english

pytestmark = pytest.mark.django_db

ENGLISH = yaml.safe_load((DATA_DIR / "en" / "content.yaml").read_text())
OPTION = re.compile(r'<option value="([^"]+)"[^>]*>([^<]+) \((\d+)\)</option>')


def _en():
    return Locale.objects.get(language_code="en")


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_demo_categories_and_offices_have_their_english_translations():
    en = _en()
    for spanish_name, item in ENGLISH["categories"].items():
        spanish = GuideCategory.objects.get(name=spanish_name, locale__language_code="es")
        translated = spanish.get_translation(en)
        assert translated.name == item["name"]
        assert (translated.slug, translated.sort_order) == (spanish.slug, spanish.sort_order)
    for spanish_name, item in ENGLISH["offices"].items():
        spanish = Office.objects.get(name=spanish_name, locale__language_code="es")
        translated = spanish.get_translation(en)
        assert translated.name == item["name"]
        assert translated.hours == "Monday to Friday, 8:30 am to 4:30 pm"
        assert (translated.address, translated.phone, translated.email) == (
            spanish.address,
            spanish.phone,
            spanish.email,
        )
        assert (translated.latitude, translated.longitude) == (spanish.latitude, spanish.longitude)


def test_loading_twice_creates_no_category_or_office():
    before = (GuideCategory.objects.count(), Office.objects.count())
    assert GuideCategory.objects.filter(locale__language_code="en").count() == len(ENGLISH["categories"])
    assert Office.objects.filter(locale__language_code="en").count() == len(ENGLISH["offices"])
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert (GuideCategory.objects.count(), Office.objects.count()) == before


def test_english_guide_page_shows_the_english_category_and_office(client):
    main = _main(client.get("/en/tramites/cadastral-certificate/").content.decode())
    assert "Land and cadastre" in main
    assert "<strong>Land Administration and Cadastre Department (Dirección de Administración" in main
    assert "Monday to Friday, 8:30 am to 4:30 pm" in main
    assert "Edificio central, calle Sucre esquina Bolívar, piso 2" in main  # the address stays the original's
    assert "Territorio y Catastro" not in main and "Lunes a viernes" not in main


def test_spanish_guide_page_is_unchanged(client):
    main = _main(client.get("/tramites/certificado-catastral/").content.decode())
    assert "Territorio y Catastro" in main and "<strong>Dirección de Administración Territorial" in main
    assert "Lunes a viernes de 08:30 a 16:30" in main
    assert "Land and cadastre" not in main and "Monday to Friday" not in main


def test_english_guide_index_filter_lists_english_names_with_the_same_slugs(client):
    spanish = OPTION.findall(client.get("/tramites/").content.decode())
    english_options = OPTION.findall(client.get("/en/tramites/").content.decode())
    assert [slug for slug, _name, _n in english_options] == [slug for slug, _name, _n in spanish]
    assert [n for _s, _name, n in english_options] == [n for _s, _name, n in spanish]
    names = {slug: name for slug, name, _n in english_options}
    assert names["actividades-economicas"] == "Business and economic activities"
    assert not set(names.values()) & {name for _s, name, _n in spanish}
    # The headings too, and the slug filters the English guides.
    filtered = _main(client.get("/en/tramites/?categoria=actividades-economicas").content.decode())
    assert "Business and economic activities</h2>" in filtered and "Land and cadastre</h2>" not in filtered
    assert "/en/tramites/operating-licence/" in filtered and "/en/tramites/cadastral-certificate/" not in filtered


def test_english_home_groups_guides_under_english_categories(client):
    main = _main(client.get("/en/").content.decode())
    assert "Business and economic activities" in main and "Actividades Económicas" not in main


def test_a_category_and_office_without_translation_show_the_original(client):
    category = GuideCategoryFactory(name="Cementerios y nichos", slug="cementerios-y-nichos")
    office = OfficeFactory(name="Oficina del Cementerio Norte")
    guide = GuidePageFactory(
        parent=GuideIndexPage.objects.get(locale__language_code="es"), category=category, office=office
    )
    page = english(guide)
    main = _main(client.get(page.url).content.decode())
    assert "Cementerios y nichos" in main and "Oficina del Cementerio Norte" in main
    index = GuideIndexPage.objects.get(locale__language_code="en")
    listed = {c.slug: c.name for c in guide_categories_with_guides(parent=index)}
    assert listed["cementerios-y-nichos"] == "Cementerios y nichos"
    assert listed["actividades-economicas"] == "Business and economic activities"


def test_a_page_translated_before_its_category_shows_and_gets_the_translation(client):
    en = _en()
    category = GuideCategoryFactory(name="Cementerios y nichos", slug="cementerios-y-nichos")
    guide = GuidePageFactory(parent=GuideIndexPage.objects.get(locale__language_code="es"), category=category)
    page = english(guide)  # Wagtail's copy_for_translation: still the Spanish category
    assert page.category == category
    translated = category.copy_for_translation(en)
    translated.name = "Cemeteries and niches"
    translated.save()
    # Shown in English at once (the page reads the category in its language)...
    main = _main(client.get(page.url).content.decode())
    assert "Cemeteries and niches" in main and "Cementerios y nichos" not in main
    # ...and the loader's step links it (published), once.
    assert english_guides_link_english_snippets(en) == 1
    page.refresh_from_db()
    assert page.category == translated and page.live and not page.has_unpublished_changes
    assert english_guides_link_english_snippets(en) == 0
    assert GuidePage.objects.get(pk=guide.pk).category == category  # the Spanish guide keeps the original


def test_api_guide_detail_of_an_english_guide_names_english_category_and_office():
    from cms.selectors import guide_detail

    page = GuidePage.objects.get(slug="operating-licence")
    facts = guide_detail(page=page)
    assert facts["category"] == "Business and economic activities"
    assert facts["category_slug"] == "actividades-economicas"
    assert facts["office"]["hours"] == "Monday to Friday, 8:30 am to 4:30 pm"
    spanish = guide_detail(page=GuidePage.objects.get(slug="licencia-de-funcionamiento"))
    assert spanish["category"] == "Actividades Económicas"
    assert spanish["office"]["hours"] == "Lunes a viernes de 08:30 a 16:30"
