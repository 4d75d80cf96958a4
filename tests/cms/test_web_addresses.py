"""Web basics on the visitor's host: canonical, hreflang, sitemap, feed and printed address.

A fresh install's Wagtail Site record says ``localhost:80``; every address the portal
publishes about itself must use the host the request came to instead (as the
JSON-LD already does), or search engines and feed readers get ``http://localhost/…``.
"""

import datetime as dt
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from django.contrib.staticfiles import finders
from wagtail.models import Locale, Site

from cms.models import GuideAlias, GuidePage, NewsPage

pytestmark = pytest.mark.django_db

HOST = "portal.example.bo"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def guide(guide_page_factory):
    """A published guide's address; the guide has an alternative name and a tag (search aids)."""
    page = guide_page_factory(alternative_names=[GuideAlias(name="patente de prueba")])
    page.tags.add("negocios")
    page.save_revision().publish()
    return page.url


@pytest.fixture
def three_news(news_page_factory):
    return [news_page_factory(date=dt.date(2025, 2, day)) for day in (1, 2, 3)]


@pytest.fixture
def on_host(settings, client):
    settings.ALLOWED_HOSTS = [HOST, "testserver"]
    site = Site.objects.get(is_default_site=True)
    assert site.hostname != HOST  # the demo's Site record names another host

    def get(path, **extra):
        return client.get(path, HTTP_HOST=HOST, **extra)

    return get


def _head(html: str) -> str:
    return html.split("</head>", 1)[0]


@pytest.mark.parametrize("path", ["/", "{guide}", "/en/tramites/operating-licence/", "/noticias/", "/datos/"])
def test_canonical_and_hreflang_use_the_requests_host(on_host, guide, path):
    head = _head(on_host(path.format(guide=guide)).content.decode())
    addresses = re.findall(r'<link rel="(?:canonical|alternate)"(?: hreflang="[^"]+")? href="([^"]+)"', head)
    addresses += re.findall(r'<meta property="og:(?:url|image)" content="([^"]+)"', head)
    assert len(addresses) >= 4, head
    for address in addresses:
        assert urlsplit(address).netloc == HOST, address


def test_a_page_without_translations_still_names_its_language(on_host, guide):
    """hreflang on every page: a Spanish-only guide says it is the Spanish (and default) version."""
    address = guide
    head = _head(on_host(address).content.decode())
    assert f'<link rel="alternate" hreflang="es" href="http://{HOST}{address}">' in head
    assert f'<link rel="alternate" hreflang="x-default" href="http://{HOST}{address}">' in head
    assert 'hreflang="en"' not in head  # no English page to point at


def test_sitemap_locations_and_alternates_use_the_requests_host(on_host, guide):
    address = guide
    guide = GuidePage.objects.live().get(url_path__endswith=address)
    english = Locale.objects.get_or_create(language_code="en")[0]
    translated = guide.copy_for_translation(english, copy_parents=True, alias=False)
    translated.save_revision().publish()
    for ancestor in translated.get_ancestors().filter(depth__gt=1, live=False):
        ancestor.specific.save_revision().publish()
    root = ET.fromstring(on_host("/sitemap.xml").content)
    locations = [loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)]
    assert len(locations) == len(set(locations)) >= 20
    assert all(urlsplit(location).netloc == HOST for location in locations)
    assert f"http://{HOST}/en{address}" in locations
    links = root.findall("s:url/xhtml:link", SITEMAP_NS)
    assert links and all(urlsplit(link.get("href")).netloc == HOST for link in links)


def _sitemap_queries(get) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get("/sitemap.xml")  # warm the per-process caches a publish clears (site root paths)
    with CaptureQueriesContext(connection) as queries:
        response = get("/sitemap.xml")
    return len(ET.fromstring(response.content).findall("s:url", SITEMAP_NS)), len(queries)


def test_sitemap_query_count_does_not_grow_with_the_pages(on_host, news_page_factory):
    """Translations of all listed pages are read in one query, not one per page."""
    pages, queries = _sitemap_queries(on_host)
    for number in range(5):
        news_page_factory(title=f"Aviso {number}", date=dt.date(2025, 1, number + 1), body="<p>Aviso.</p>")
    more_pages, more_queries = _sitemap_queries(on_host)
    assert more_pages == pages + 5
    assert more_queries == queries


def test_robots_names_the_sitemap_on_the_requests_host(on_host):
    assert f"Sitemap: http://{HOST}/sitemap.xml\n" in on_host("/robots.txt").content.decode()


def test_news_feed_validates_with_an_author_ids_on_the_host_and_its_items(on_host, three_news):
    response = on_host("/noticias/feed/")
    feed = ET.fromstring(response.content)  # well-formed XML
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    assert feed.find(f"{ATOM}author/{ATOM}name").text  # Atom: an author for the feed or every entry
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) >= 3
    for entry in entries:
        for field in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{field}").text, field
        assert urlsplit(entry.find(f"{ATOM}id").text).netloc == HOST
        assert urlsplit(entry.find(f"{ATOM}link").get("href")).netloc == HOST
    assert len({e.find(f"{ATOM}id").text for e in entries}) == len(entries)


def test_english_feed_carries_the_english_news(on_host, three_news):
    """The demo's news exist in English (cms/demo/en): the English feed carries them, xml:lang en."""
    english = NewsPage.objects.live().filter(locale__language_code="en")
    assert english.count() >= 3
    feed = ET.fromstring(on_host("/en/noticias/feed/").content)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    titles = {entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")}
    assert titles == set(english.values_list("title", flat=True))


def test_english_pages_link_the_english_feed(client):
    head = _head(client.get("/en/").content.decode())
    assert re.search(r'<link rel="alternate" type="application/atom\+xml" href="/en/noticias/feed/"', head)
    assert client.get("/en/noticias/feed/")["Content-Type"].startswith("application/atom+xml")


@pytest.mark.parametrize(("prefix", "label"), [("", "Guía impresa desde"), ("/en", "Guide printed from")])
def test_a_printed_guide_shows_the_address_it_was_read_at(on_host, guide, prefix, label):
    address = "/tramites/operating-licence/" if prefix else guide  # the demo guide's English translation
    html = on_host(prefix + address).content.decode()
    match = re.search(r'<p class="print-only">(.*?)</p>', html, re.S)
    assert match, "no printed address"
    assert f"http://{HOST}{prefix}{address}" in match.group(1)
    assert label in match.group(1)


def test_print_hides_what_is_not_a_fact_of_the_guide(client, guide):
    with open(finders.find("css/print.css"), encoding="utf-8") as handle:
        css = handle.read()
    hidden = css.split("{", 1)[0]
    assert ".no-print" in hidden
    assert re.search(r"@page\s*{[^}]*margin", css)
    html = client.get(guide).content.decode()
    # Alternative names and tags are search aids, not facts: not printed.
    assert re.search(r'<p class="no-print"><span class="visually-hidden">', html)
    assert re.search(r'<p class="no-print">[^<]*<span class="badge">', html)
    # The facts, requirements and steps are printed (no no-print on them).
    for marker in ('<dl class="facts">', '<section aria-labelledby="requisitos">', '<section aria-labelledby="pasos">'):
        assert marker in html
