"""The demo in English (issue 14 item 3): wagtail-localize translations made by the loader,
served under /en/ with links, legal basis and the language switch in English."""

import re

import pytest
import yaml
from django.core.management import call_command
from wagtail.models import Locale, Page
from wagtail_localize.models import StringTranslation, Translation, TranslationSource

from cms.demo.loader import DATA_DIR
from cms.models import GuidePage, HomePage, NewsPage, RegulationPage, TransparencyPage

pytestmark = pytest.mark.django_db

ENGLISH = yaml.safe_load((DATA_DIR / "en" / "content.yaml").read_text())
CATALOGUE = yaml.safe_load((DATA_DIR / "tramites.yaml").read_text())["tramites"]


def _english(model):
    return model.objects.live().filter(locale__language_code="en")


def test_loading_twice_adds_nothing_in_any_language():
    counts = (Page.objects.count(), TranslationSource.objects.count(), StringTranslation.objects.count())
    assert _english(GuidePage).count() == 17  # the session loaded it once
    call_command("load_demo", stdout=open("/dev/null", "w"))
    assert (Page.objects.count(), TranslationSource.objects.count(), StringTranslation.objects.count()) == counts


def test_every_demo_page_has_its_english_translation_from_the_yaml():
    english = Locale.objects.get(language_code="en")
    for item in CATALOGUE:
        spanish = GuidePage.objects.get(slug=item["slug"])
        page = spanish.get_translation(english)
        data = ENGLISH["guides"][item["slug"]]
        assert (page.title, page.slug, page.summary) == (data["title"], data["slug"], data["summary"])
        assert (page.cost_text, page.duration_text) == (data["cost"], data["duration"])
        assert [r.text for r in page.requirements.all()] == data["requirements"]
        assert [s.text for s in page.steps.all()] == data["steps"]
        assert [a.name for a in page.alternative_names.all()] == data["aliases"]
        # What is not text stays the source's: amounts, online.
        assert (page.cost_amount, page.online) == (spanish.cost_amount, spanish.online)
        # The office and the category are the source's in English (translated snippets, same slug).
        assert page.office.get_translation(spanish.locale) == spanish.office
        assert page.category.get_translation(spanish.locale) == spanish.category
        assert (page.office.locale, page.category.locale) == (english, english)
        assert page.category.slug == spanish.category.slug
        # The Spanish rows are untouched.
        assert [r.text for r in spanish.requirements.all()] == item["requirements"]
    assert _english(HomePage).get().title == ENGLISH["home"]["title"]
    assert _english(RegulationPage).count() == RegulationPage.objects.filter(locale__language_code="es").count()
    assert _english(TransparencyPage).count() == len(ENGLISH["transparency"])
    assert _english(NewsPage).count() == len(ENGLISH["news"])


def test_the_translations_are_wagtail_localize_ones_that_staff_can_sync():
    english = Locale.objects.get(language_code="en")
    guide = GuidePage.objects.get(slug="registro-de-mascotas")
    source = TranslationSource.objects.get_for_instance(guide)
    assert Translation.objects.filter(source=source, target_locale=english, enabled=True).exists()
    # The English strings are in the translation memory: rebuilding the page from it gives the same page.
    rebuilt = source.get_ephemeral_translated_instance(english)
    assert rebuilt.title == "Pet registration"
    assert [r.text for r in rebuilt.requirements.all()][0] == "Photocopy of the owner's identity card"


def test_english_pages_link_to_english_pages(client):
    html = client.get("/en/tramites/operating-licence/").content.decode()
    assert '<html lang="en"' in html
    main = html.split("<main", 1)[1].split("</main>", 1)[0]
    assert "Photocopy of the identity card (cédula de identidad)" in main
    # The legal basis points at the regulation's English page, not the Spanish one.
    assert 'href="/en/normativa/municipal-law-217-2016/"' in main
    assert 'href="/normativa/' not in main
    regulation = client.get("/en/normativa/municipal-law-217-2016/").content.decode()
    assert 'href="/en/tramites/operating-licence/"' in regulation and 'href="/tramites/' not in regulation
    listing = client.get("/en/tramites/").content.decode().split("<main", 1)[1]
    guide_links = set(re.findall(r'href="(/[^"]*tramites/[^"?]+/)"', listing))
    assert len(guide_links) == 17 and all(link.startswith("/en/tramites/") for link in guide_links)


@pytest.mark.parametrize(
    ("path", "other"),
    [
        ("/en/tramites/pet-registration/", "/tramites/registro-de-mascotas/"),
        ("/tramites/registro-de-mascotas/", "/en/tramites/pet-registration/"),
        ("/en/noticias/rabies-vaccination-campaign/", "/noticias/campana-vacunacion-antirrabica/"),
        ("/en/", "/"),
        ("/en/buscar/?q=pet", "/buscar/?q=pet"),
    ],
)
def test_the_language_switch_goes_to_the_translation(client, path, other):
    html = client.get(path).content.decode()
    switch = html.split('class="languages"', 1)[1].split("</nav>", 1)[0]
    code = "es" if path.startswith("/en/") else "en"
    assert f'<a href="{other}" lang="{code}"' in switch.replace("&amp;", "&")


def test_an_untranslated_page_switches_to_its_nearest_translated_parent(client):
    index = GuidePage.objects.get(slug="registro-de-mascotas").get_parent()
    page = GuidePage(title="Trámite sin traducción", slug="sin-traduccion", summary="Solo en castellano.")
    index.add_child(instance=page)
    page.save_revision().publish()
    html = client.get("/tramites/sin-traduccion/").content.decode()
    switch = html.split('class="languages"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/en/tramites/" lang="en"' in switch
    head = html.split("</head>", 1)[0]
    assert 'hreflang="en"' not in head
