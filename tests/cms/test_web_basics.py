"""Web basics: sitemap, robots.txt, news feed, head tags, favicon, manifest, print styles, header."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from wagtail.models import Locale

from cms.models import GuidePage, NewsPage

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}
ATOM = "{http://www.w3.org/2005/Atom}"
GUIDE = "/tramites/licencia-de-funcionamiento/"
GUIDE_EN = "/tramites/operating-licence/"  # under /en/


def _head(html: str) -> str:
    return html.split("</head>", 1)[0]


def _sitemap_paths(client) -> tuple[ET.Element, set[str]]:
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    return root, {urlsplit(loc.text).path for loc in root.findall("s:url/s:loc", SITEMAP_NS)}


def test_sitemap_lists_every_published_public_page_and_no_draft(client):
    _root, paths = _sitemap_paths(client)
    guides = GuidePage.objects.live().public()
    assert guides.count() >= 5
    for guide in guides:
        assert urlsplit(guide.full_url).path in paths, guide.title
    assert "/" in paths and "/noticias/" in paths and "/normativa/" in paths
    draft = GuidePage.objects.live().first()
    draft.unpublish()
    _root, paths = _sitemap_paths(client)
    assert urlsplit(draft.full_url).path not in paths


def test_sitemap_links_translations_with_hreflang(client):
    """Every published guide is listed in both languages, each with both as hreflang alternates."""
    root, paths = _sitemap_paths(client)
    entries = {urlsplit(u.find("s:loc", SITEMAP_NS).text).path: u for u in root.findall("s:url", SITEMAP_NS)}
    spanish = GuidePage.objects.live().public().filter(locale__language_code="es")
    assert spanish.count() == 17
    for guide in spanish:
        english = guide.get_translation(Locale.objects.get(language_code="en"))
        es_path, en_path = urlsplit(guide.full_url).path, urlsplit(english.full_url).path
        assert en_path.startswith("/en/tramites/") and en_path != "/en" + es_path  # its own English slug
        for path in (es_path, en_path):
            links = entries[path].findall("xhtml:link", SITEMAP_NS)
            alternates = {link.get("hreflang"): urlsplit(link.get("href")).path for link in links}
            assert alternates == {"es": es_path, "en": en_path}, guide.slug
    # The page itself carries the same alternates in its head.
    head = _head(client.get(GUIDE).content.decode())
    assert re.search(rf'<link rel="alternate" hreflang="en" href="[^"]*/en{GUIDE_EN}">', head)
    assert re.search(rf'<link rel="alternate" hreflang="x-default" href="https?://[^/"]+{GUIDE}">', head)


def test_robots_txt_points_at_the_sitemap_and_keeps_out_the_back_office(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "User-agent: *" in text
    assert re.search(r"^Sitemap: https?://[^/]+/sitemap\.xml$", text, re.M)
    for path in ("/admin/", "/django-admin/", "/api/"):
        assert f"Disallow: {path}\n" in text
    assert "Disallow: /\n" not in text


def test_news_feed_is_atom_with_the_latest_news(client):
    response = client.get("/noticias/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    published = NewsPage.objects.live().public().filter(locale__language_code="es")
    assert published.exists()
    assert len(entries) == min(published.count(), 20) and len(entries) >= min(3, published.count())
    titles = [e.find(f"{ATOM}title").text for e in entries]
    newest = published.order_by("-date", "-pk").first()
    assert titles[0] == newest.title
    link = entries[0].find(f"{ATOM}link").get("href")
    assert urlsplit(link).path == urlsplit(newest.full_url).path and link.startswith("http")
    for entry in entries:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d([+-]\d\d:\d\d|Z)", entry.find(f"{ATOM}updated").text)


def test_news_feed_leaves_out_unpublished_news(client):
    news = NewsPage.objects.live().filter(locale__language_code="es").order_by("-date", "-pk").first()
    news.unpublish()
    feed = ET.fromstring(client.get("/noticias/feed/").content)
    assert news.title not in [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]


@pytest.mark.parametrize(
    "path",
    ["/", GUIDE, "/noticias/", "/normativa/", "/datos/", "/participa/", "/participa/propuestas/", "/buscar/"],
)
def test_every_page_has_canonical_hreflang_open_graph_icons_feed_and_print_css(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    head = _head(response.content.decode())
    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', head)
    assert canonical and urlsplit(canonical.group(1)).path == path and canonical.group(1).startswith("http")
    assert f'<meta property="og:url" content="{canonical.group(1)}">' in head
    for prop in ("og:title", "og:type", "og:site_name", "og:locale", "og:image"):
        assert re.search(rf'<meta property="{prop}" content="[^"]+">', head), (path, prop)
    assert re.search(r'<link rel="icon" href="[^"]+\.svg" type="image/svg\+xml">', head)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in head
    assert re.search(r'<link rel="alternate" type="application/atom\+xml" href="/noticias/feed/"', head)
    assert re.search(r'<link rel="stylesheet" href="[^"]*css/print[^"]*\.css" media="print">', head)


def test_views_link_their_english_version_and_back(client):
    head = _head(client.get("/datos/").content.decode())
    assert re.search(r'<link rel="alternate" hreflang="en" href="https?://[^/]+/en/datos/">', head)
    assert re.search(r'<link rel="alternate" hreflang="es" href="https?://[^/]+/datos/">', head)
    english = _head(client.get("/en/datos/").content.decode())
    assert re.search(r'<link rel="canonical" href="https?://[^/]+/en/datos/">', english)
    assert '<meta property="og:locale" content="en_US">' in english


def test_guides_and_news_are_articles_for_open_graph(client):
    assert '<meta property="og:type" content="article">' in client.get(GUIDE).content.decode()
    news = NewsPage.objects.live().first()
    assert '<meta property="og:type" content="article">' in client.get(news.url).content.decode()
    assert '<meta property="og:type" content="website">' in client.get("/").content.decode()


def test_favicon_and_manifest(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith(".ico")
    assert "max-age=86400" in response["Cache-Control"]
    assert finders.find("favicon.ico") and finders.find("favicon.svg")
    with open(finders.find("favicon.ico"), "rb") as handle:
        assert handle.read(4) == b"\x00\x00\x01\x00"  # an ICO file
    manifest = client.get("/manifest.webmanifest")
    assert manifest["Content-Type"].startswith("application/manifest+json")
    data = manifest.json()
    assert data["name"] and data["start_url"] == "/"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert finders.find(icon["src"].removeprefix("/static/")), icon["src"]


def test_print_stylesheet_hides_the_chrome_and_the_guide_prints_its_address(client):
    with open(finders.find("css/print.css"), encoding="utf-8") as handle:
        css = handle.read()
    for selector in (".site-header", ".header-search", ".chat", "#opinion", ".site-footer"):
        assert selector in css.split("{", 1)[0], selector
    assert re.search(r"\.print-only\s*{[^}]*display:\s*block", css)
    html = client.get(GUIDE).content.decode()
    match = re.search(r'<p class="print-only">(.*?)</p>', html, re.S)
    # On the host the guide was read at (tests/cms/test_web_addresses.py), not the Site record's.
    assert match and f"http://testserver{GUIDE}" in match.group(1) and "data-print-date" in match.group(1)
    assert re.search(r'<script src="[^"]*js/print-date[^"]*\.js" defer></script>', html)


def test_time_elements_have_valid_datetimes(client):
    valid = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d)?)?")
    from participation.models import Proposal

    news = NewsPage.objects.live().first()
    proposal = Proposal.objects.visible().first()
    for path in ("/", GUIDE, "/noticias/", news.url, "/normativa/", proposal.get_absolute_url()):
        html = client.get(path).content.decode()
        values = re.findall(r'<time datetime="([^"]*)"', html)
        assert values, path
        for value in values:
            assert valid.fullmatch(value), (path, value)


def test_header_links_every_section_and_the_account_in_the_current_language(client, django_user_model):
    html = client.get("/").content.decode()
    nav = re.search(r'<nav aria-label="Principal">(.*?)</nav>', html, re.S).group(1)
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav)
    sections = ["Trámites", "Participa", "Datos", "Normativa", "Transparencia", "Noticias"]
    assert [text for _href, text in links] == sections
    for href, _text in links:
        assert client.get(href).status_code == 200, href
    english = client.get("/en/").content.decode()
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>|<nav aria-label="Principal">(.*?)</nav>', english, re.S)
    hrefs = re.findall(r'<a href="([^"]+)">', nav.group(0))
    assert len(hrefs) == 6 and all(h.startswith("/en/") for h in hrefs), hrefs
    assert re.search(r'<a class="brand" href="/en/">', english)
    # Anonymous: "Ingresar" leads to the login form (and back here), "Registrarse" to the registration.
    assert '<a href="/cuentas/ingresar/?next=/">Ingresar</a>' in html
    assert '<a href="/cuentas/registro/">Registrarse</a>' in html
    assert client.get("/cuentas/")["Location"] == "/cuentas/ingresar/"
    assert client.get("/en/cuentas/")["Location"] == "/en/cuentas/ingresar/"


def test_account_links_for_a_signed_in_resident_never_come_from_the_cache(client, django_user_model):
    assert client.get(GUIDE)["X-Ayni-Cache"] == "miss"  # the anonymous version is now cached
    user = django_user_model.objects.create_user("vecina", "vecina@example.org", "una-clave-larga-123")
    client.force_login(user)
    html = client.get(GUIDE).content.decode()
    assert "Mi cuenta" in html and "Salir" in html and ">Ingresar<" not in html
    assert client.get("/cuentas/")["Location"] == "/cuentas/perfil/"
    client.logout()
    html = client.get(GUIDE).content.decode()
    assert ">Ingresar<" in html and "Salir" not in html and "csrfmiddlewaretoken" not in html


def test_participa_landing_lists_what_residents_can_do(client):
    response = client.get("/participa/")
    assert response.status_code == 200
    html = response.content.decode()
    for path in ("/participa/propuestas/", "/participa/reclamos/", "/participa/seguimiento/"):
        assert f'href="{path}"' in html
    english = client.get("/en/participa/").content.decode()
    assert 'href="/en/participa/reclamos/"' in english


def test_a_missing_page_has_no_canonical_and_is_not_indexed(client):
    response = client.get("/no-existe-esta-pagina/")
    assert response.status_code == 404
    head = _head(response.content.decode())
    assert 'rel="canonical"' not in head and '<meta name="robots" content="noindex">' in head


def test_a_spanish_only_page_is_not_served_under_en(client):
    """Once the site has its English tree, /en/ serves English pages only; the Spanish-only guide
    is linked to from the language switch as its nearest translated parent (tests/cms/test_english_content.py)."""
    index = GuidePage.objects.get(slug="licencia-de-funcionamiento").get_parent()
    page = GuidePage(title="Solo en castellano", slug="solo-en-castellano", summary="Sin traducción.")
    index.add_child(instance=page)
    page.save_revision().publish()
    assert client.get("/tramites/solo-en-castellano/").status_code == 200
    assert client.get("/en/tramites/solo-en-castellano/").status_code == 404
