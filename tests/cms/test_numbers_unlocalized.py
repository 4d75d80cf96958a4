"""Every public page, in Spanish and in English: numbers in markup are never localized, every
``<time datetime>`` is a valid HTML date or date-time (no microseconds).

tests/cms/test_number_markup.py checks the chart and the map link in detail; this walks the
whole demo site (the sitemap's pages, the views, the datasets and a proposal) so that a new
template cannot bring ``width="300,0"`` or ``datetime="…T10:00:00.123456"`` back unnoticed.
"""

import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import pytest

from opendata import services

pytestmark = pytest.mark.django_db

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# HTML: a valid date string, or a valid global/local date and time string (1 to 3 fraction digits).
VALID_DATETIME = re.compile(r"\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d)?)?")
# Attributes that hold numbers for the browser, never text for people.
NUMERIC_ATTRIBUTES = re.compile(
    r'\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height|viewBox|transform|points|d|start|min|max|step|data-[\w-]+)="([^"]*)"'
)
LOCALIZED = re.compile(r"\d,\d")
COORDINATE_PARAMS = {"mlat", "mlon", "lat", "lon", "lng", "latitude", "longitude"}
VIEWS = ["/datos/", "/participa/", "/participa/propuestas/", "/participa/reclamos/", "/buscar/?q=licencia"]


def _pages(client, prefix: str = "") -> list[str]:
    """Every page of the sitemap in one language (its pages carry their own prefix), then the views."""
    root = ET.fromstring(client.get("/sitemap.xml").content)
    paths = [urlsplit(loc.text).path for loc in root.findall("s:url/s:loc", SITEMAP_NS)]
    paths = (
        [p for p in paths if p.startswith(f"{prefix}/")] if prefix else [p for p in paths if not p.startswith("/en/")]
    )
    datasets = re.findall(r'href="(/datos/[\w-]+/)"', client.get("/datos/").content.decode())
    proposals = re.findall(
        r'href="(/participa/propuestas/\d+[^"]*/)"', client.get("/participa/propuestas/").content.decode()
    )
    assert datasets and proposals
    return [*paths, *(prefix + path for path in [*VIEWS, *dict.fromkeys(datasets), *proposals[:2]])]


@pytest.fixture
def chart(db):
    dataset = services.dataset_create(title="Recaudación por distrito", slug="recaudacion-sitio", publish=True)
    resource = services.resource_create(dataset=dataset, slug="recaudacion", title="Recaudación")
    data = "distrito,monto\nTacata,1500.5\nPiñami,2300.25\nSanto Domingo,12.75\n".encode()
    services.resource_version_upload(resource=resource, filename="recaudacion.csv", data=data)
    return dataset


def _problems(path: str, html: str) -> list[str]:
    problems = []
    for value in re.findall(r'<time\b[^>]*\sdatetime="([^"]*)"', html):
        if not VALID_DATETIME.fullmatch(value):
            problems.append(f'{path}: datetime="{value}"')
    for name, value in NUMERIC_ATTRIBUTES.findall(html):
        if LOCALIZED.search(value):
            problems.append(f'{path}: {name}="{value}"')
    for href in re.findall(r'href="([^"]*)"', html):
        url = urlsplit(href.replace("&amp;", "&"))
        for key, value in parse_qsl(url.query):
            if key in COORDINATE_PARAMS and not re.fullmatch(r"-?\d+(\.\d+)?", value):
                problems.append(f"{path}: {key}={value} in {href}")
        if url.fragment.startswith("map=") and LOCALIZED.search(url.fragment):
            problems.append(f"{path}: #{url.fragment}")
    for script in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S):
        data = json.loads(script)  # valid JSON
        for key, value in _walk(data):
            if key in {"latitude", "longitude", "price"} and not re.fullmatch(r"-?\d+(\.\d+)?", str(value)):
                problems.append(f"{path}: JSON-LD {key}={value!r}")
    return problems


def _walk(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item)


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_no_page_localizes_a_number_in_markup_or_writes_an_invalid_datetime(client, chart, prefix):
    pages = _pages(client, prefix)
    assert len(pages) >= 40 and f"{prefix}/datos/recaudacion-sitio/" in pages
    problems, times, charts, maps = [], 0, 0, 0
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        problems += _problems(path, html)
        times += len(re.findall(r"<time\b[^>]*\sdatetime=", html))
        charts += html.count("<svg")
        maps += html.count("https://www.openstreetmap.org/?mlat=")
    assert not problems, "\n".join(problems)
    # The walk saw what it checks: times, charts (with decimals) and map links.
    assert times >= 20 and charts >= 1 and maps >= 5, (times, charts, maps)


def test_the_check_catches_localized_markup():
    """The checks above are not vacuous: each kind of fault is reported."""
    html = (
        '<time datetime="2025-10-01T08:00:00.123456-04:00">x</time><svg viewBox="0 0 600 40">'
        '<rect width="300,0"></rect></svg><a href="https://www.openstreetmap.org/?mlat=-17,3935&amp;mlon=-66.279">m</a>'
        '<script type="application/ld+json">{"geo": {"latitude": "-17,3935"}}</script>'
    )
    problems = _problems("/x/", html)
    assert len(problems) == 4, problems
    assert not _problems("/x/", '<time datetime="2025-10-01T08:00:00-0400">x</time><rect width="300.0">')
