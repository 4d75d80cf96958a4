from pathlib import Path

import pytest
from django.conf import settings
from django.conf.locale import LANG_INFO
from django.utils import translation
from wagtail.models import Locale

ROOT = Path(__file__).resolve().parents[1]


def test_aymara_and_quechua_are_known_to_django():
    assert LANG_INFO["ay"]["name_local"] == "Aymar aru"
    assert LANG_INFO["qu"]["name_local"] == "Runa simi"
    assert translation.get_language_info("qu")["name"] == "Quechua"


def test_content_and_interface_languages():
    codes = [code for code, _ in settings.WAGTAIL_CONTENT_LANGUAGES]
    assert codes == ["es", "en", "ay", "qu"]
    assert settings.LANGUAGE_CODE == "es"
    assert [code for code, _ in settings.WAGTAILADMIN_PERMITTED_LANGUAGES] == ["es", "en"]
    assert "wagtail_localize" in settings.INSTALLED_APPS


@pytest.mark.parametrize("code", ["en", "ay", "qu"])
def test_locale_files_are_shipped(code):
    assert (ROOT / "locale" / code / "LC_MESSAGES" / "django.po").exists()
    assert (ROOT / "locale" / code / "LC_MESSAGES" / "django.mo").exists()


@pytest.mark.django_db
def test_locales_can_be_created_for_translation():
    for code in ("ay", "qu"):
        locale, _ = Locale.objects.get_or_create(language_code=code)
        assert locale.get_display_name() in ("Aymara", "Quechua")


@pytest.mark.django_db
def test_interface_in_english(client):
    html = client.get("/en/tramites/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Saltar al contenido" not in html
