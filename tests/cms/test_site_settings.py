"""The portal settings staff edit (cms.PortalSettings, opendata.OpenDataSettings) and who reads them."""

import io
import re

import pytest
from django.core.files.images import ImageFile
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.images import get_image_model

from cms import selectors
from cms.models import PortalSettings
from opendata import services as opendata_services
from opendata.models import Dataset, OpenDataSettings

pytestmark = pytest.mark.django_db

GUIDE = "/tramites/licencia-de-funcionamiento/"


def _portal(**values) -> PortalSettings:
    record = PortalSettings.load()
    for field, value in values.items():
        setattr(record, field, value)
    record.save()
    return record


def _footer(html: str) -> str:
    return re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S).group(1)


def _png(width: int = 200, height: int = 100) -> ImageFile:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return ImageFile(io.BytesIO(out.getvalue()), name="escudo.png")


def test_before_staff_save_anything_the_environment_gives_the_values(settings):
    PortalSettings.objects.all().delete()
    settings.WAGTAIL_SITE_NAME = "Municipio de Prueba"
    settings.AYNI_MUNICIPALITY_PHONE = "800-10-2020"
    contact = selectors.site_contact()
    assert (contact.name, contact.phone, contact.logo_url, contact.social) == (
        "Municipio de Prueba",
        "800-10-2020",
        "",
        (),
    )
    # The first edit starts from the same values (the fields' defaults).
    record = PortalSettings.load()
    assert (record.name, record.phone) == ("Municipio de Prueba", "800-10-2020")


def test_the_demo_filled_the_settings_from_its_catalogue():
    record = PortalSettings.objects.get()
    assert record.name == "Gobierno Autónomo Municipal de Ejemplo"
    assert (record.short_name, record.phone) == ("GAM Ejemplo", "800-13-5555")
    assert record.hours == "Lunes a viernes de 08:30 a 16:30"
    assert (record.online_platform_name, record.online_platform_url) == (
        "Plataforma 24/7",
        "https://24-7.ejemplo.gob.bo/",
    )
    assert record.logo is not None and record.logo.width > 0


def test_loading_the_demo_again_keeps_what_staff_changed():
    from cms.demo.loader import ensure_site_settings, read

    _portal(phone="800-11-4444", hours="")
    ensure_site_settings(read("tramites.yaml")["municipality"], report=lambda message: None)
    record = PortalSettings.objects.get()
    assert (record.phone, record.hours) == ("800-11-4444", "")


def test_a_new_800_number_shows_at_once_on_pages_already_cached(client):
    before = client.get(GUIDE)
    assert 'href="tel:800135555">800-13-5555</a>' in _footer(before.content.decode())
    assert client.get(GUIDE)["X-Ayni-Cache"] == "hit"

    _portal(phone="800-10-9999", hours="Lunes a sábado de 07:00 a 19:00")

    after = client.get(GUIDE)
    assert after["X-Ayni-Cache"] == "miss"  # saving the settings purged the page cache
    footer = _footer(after.content.decode())
    assert 'href="tel:800109999">800-10-9999</a>' in footer
    assert "Lunes a sábado de 07:00 a 19:00" in footer
    assert "800-13-5555" not in footer
    english = _footer(client.get("/en/").content.decode())
    assert "800-10-9999" in english and "Toll-free line" in english


def test_name_online_platform_and_social_links_reach_the_header_footer_and_head(client):
    _portal(
        name="Gobierno Autónomo Municipal de Quillacollo",
        short_name="GAM Quillacollo",
        online_platform_name="Quilla en línea",
        online_platform_url="https://tramites.quillacollo.example/",
        facebook_url="https://www.facebook.com/gamquillacollo",
        youtube_url="https://www.youtube.com/@gamquillacollo",
    )
    html = client.get("/").content.decode()
    header = re.search(r'<header class="site-header">(.*?)</header>', html, re.S).group(1)
    assert '<span class="brand-name brand-long">Gobierno Autónomo Municipal de Quillacollo</span>' in header
    assert '<span class="brand-name brand-short">GAM Quillacollo</span>' in header
    assert "<title>" in html and "Gobierno Autónomo Municipal de Quillacollo</title>" in html
    assert '<meta property="og:site_name" content="Gobierno Autónomo Municipal de Quillacollo">' in html
    footer = _footer(html)
    assert '<a href="https://tramites.quillacollo.example/">Quilla en línea</a>' in footer
    links = re.findall(r'<a href="([^"]+)" rel="me">([^<]+)</a>', footer)
    assert links == [
        ("https://www.facebook.com/gamquillacollo", "Facebook"),
        ("https://www.youtube.com/@gamquillacollo", "YouTube"),
    ]
    manifest = client.get("/manifest.webmanifest").json()
    assert (manifest["name"], manifest["short_name"]) == ("Gobierno Autónomo Municipal de Quillacollo", "GAM Quillaco")
    feed = client.get("/noticias/feed/").content.decode()
    assert "Gobierno Autónomo Municipal de Quillacollo" in feed
    guide = client.get(GUIDE).content.decode()
    assert '"provider": {"@type": "GovernmentOrganization", "name": "Gobierno Autónomo Municipal de Quillacollo"}' in (
        guide
    )


def test_the_logo_is_shown_as_a_rendition_and_goes_when_its_image_is_deleted(client):
    image = get_image_model().objects.create(title="Escudo", file=_png())
    _portal(logo=image)
    header = client.get("/").content.decode().split("</header>", 1)[0]
    logo = re.search(r'<img class="brand-logo" src="([^"]+)" width="(\d+)" height="(\d+)" alt="">', header)
    assert logo, header
    assert logo.group(1).startswith("/media/images/") and (logo.group(2), logo.group(3)) == ("192", "96")

    image.delete()  # the setting's logo becomes empty without a save of the settings
    header = client.get("/").content.decode().split("</header>", 1)[0]
    assert "brand-logo" not in header


def test_the_details_are_read_once_and_then_come_from_the_cache(
    django_assert_num_queries, django_assert_max_num_queries
):
    selectors.site_contact()  # the logo's rendition is made once
    selectors.site_contact_forget()
    # The settings with their logo, and the logo's rendition (unless Wagtail has it in its cache).
    with django_assert_max_num_queries(2):
        first = selectors.site_contact()
    with django_assert_num_queries(0):
        assert selectors.site_contact() == first


def test_a_link_that_is_not_http_is_refused_and_never_shown():
    record = PortalSettings.load()
    record.facebook_url = "javascript:alert(1)"
    with pytest.raises(Exception, match="http"):
        record.full_clean()
    PortalSettings.objects.filter(pk=record.pk).update(facebook_url="javascript:alert(1)")  # bypassing the form
    selectors.site_contact_forget()
    assert selectors.site_contact().social == ()


def _settings_form(record: PortalSettings, **changes) -> dict:
    data = {
        "name": record.name,
        "short_name": record.short_name,
        "logo": record.logo_id or "",
        "phone": record.phone,
        "hours": record.hours,
        "online_platform_name": record.online_platform_name,
        "online_platform_url": record.online_platform_url,
        "facebook_url": "",
        "instagram_url": "",
        "x_url": "",
        "youtube_url": "",
        "tiktok_url": "",
    }
    return {**data, **changes}


def test_staff_change_the_800_line_in_the_admin(client, superuser):
    record = PortalSettings.load()
    url = reverse("wagtailsettings:edit", args=["cms", "portalsettings", record.pk])
    client.force_login(superuser)
    page = client.get(url)
    assert page.status_code == 200
    assert "Línea gratuita" in page.content.decode() or "línea gratuita" in page.content.decode()

    refused = client.post(url, _settings_form(record, phone="llamar al alcalde"))
    assert refused.status_code == 200  # the form again, with the error
    assert "Escribe solo números" in refused.content.decode()

    response = client.post(url, _settings_form(record, phone="800-17-1234"))
    assert response.status_code == 302
    assert PortalSettings.objects.get().phone == "800-17-1234"
    client.logout()
    client.cookies.clear()
    assert 'href="tel:800171234">800-17-1234</a>' in client.get("/participa/").content.decode()


def test_a_citizen_cannot_open_the_settings(client, citizen):
    record = PortalSettings.load()
    client.force_login(citizen)
    response = client.get(reverse("wagtailsettings:edit", args=["cms", "portalsettings", record.pk]))
    assert response.status_code in (302, 403)
    assert PortalSettings.objects.get().phone == record.phone


# --- Open data: the default licence -------------------------------------------------------


def test_new_datasets_take_the_default_licence_staff_chose():
    assert opendata_services.dataset_create(title="Antes", slug="antes").licence == "CC-BY-4.0"
    settings = OpenDataSettings.load()
    settings.default_licence = "ODbL-1.0"
    settings.save()
    assert opendata_services.dataset_create(title="Después", slug="despues").licence == "ODbL-1.0"
    assert Dataset().licence == "ODbL-1.0"  # the admin's form starts from it
    # A licence given explicitly still wins.
    assert opendata_services.dataset_create(title="Otra", slug="otra", licence="CC0-1.0").licence == "CC0-1.0"


def test_the_server_error_page_gives_the_line_without_reading_the_database(django_assert_num_queries, settings):
    from django.template.loader import render_to_string

    _portal(phone="800-12-3434")
    selectors.site_contact()  # the cache holds the details once any page was served
    with django_assert_num_queries(0):
        assert "línea gratuita 800-12-3434." in render_to_string("500.html")
    selectors.site_contact_forget()
    settings.AYNI_MUNICIPALITY_PHONE = "800-99-0000"
    with django_assert_num_queries(0):
        assert "línea gratuita 800-99-0000." in render_to_string("500.html")
