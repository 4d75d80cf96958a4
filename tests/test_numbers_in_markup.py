"""Numbers in markup are plain numbers in every language, even with the locale's thousands
separator switched on (USE_THOUSAND_SEPARATOR, the worst case for templates).

tests/cms/test_number_markup.py checks the chart and the map link with Django's defaults;
here the same pages, and the proposal counters' data attributes (read by live-counts.js),
must not show "12.345" or "1,500.5" where a browser or a script reads a number, while the
visible text still follows the language ("1 500,50" in Spanish, "1,500.50" in English).
"""

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from opendata import services
from tests.cms.factories import english

pytestmark = pytest.mark.django_db

PLAIN = re.compile(r"-?\d+(\.\d+)?")
CSV = "barrio,monto\nTacata,1500.5\nPiñami,2300\nSanto Domingo,-12.25\n".encode()
ATTRIBUTES = re.compile(r'\s(x|y|width|height|viewBox|transform|data-[\w-]+-count)="([^"%]*)"')
LANGUAGES = [pytest.param("", id="es"), pytest.param("/en", id="en")]


@pytest.fixture(autouse=True)
def _grouping(settings):
    settings.USE_THOUSAND_SEPARATOR = True


def _numbers(value: str) -> list[str]:
    """The numbers of an attribute value: "0 0 600 72", "translate(0 24)", "12345"."""
    return [n for n in re.sub(r"[a-zA-Z]+\(|\)", " ", value).split(" ") if n]  # not split(): "12\xa0345"


def _assert_plain(html: str) -> int:
    found = 0
    for name, value in ATTRIBUTES.findall(html):
        for number in _numbers(value):
            assert PLAIN.fullmatch(number), f'{name}="{value}": "{number}" is not a plain number'
            found += 1
    return found


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_chart_numbers_are_plain_and_labels_follow_the_language(client, prefix):
    dataset = services.dataset_create(title="Montos por barrio", slug="montos-por-barrio", publish=True)
    resource = services.resource_create(dataset=dataset, slug="montos", title="Montos")
    services.resource_version_upload(resource=resource, filename="montos.csv", data=CSV)

    html = client.get(f"{prefix}/datos/montos-por-barrio/").content.decode()
    svg = re.search(r"<svg\b.*?</svg>", html, re.S).group(0)
    assert _assert_plain(svg) >= 12
    widths = [float(w) for w in re.findall(r'<rect[^>]*\bwidth="([^"]*)"', svg)]
    assert widths == [195.7, 300.0, 1.6]
    assert re.search(r'viewBox="0 0 600 72"', svg)
    labels = re.findall(r">([^<>]*\d)</text>", svg)
    if prefix == "":  # Spanish: decimal comma, thousands grouped with a (no-break) space or a dot
        assert [re.sub(r"[\s.]", "", label) for label in labels] == ["1500,50", "2300", "-12,25"], labels
    else:
        assert [label.replace(",", "") for label in labels] == ["1500.50", "2300", "-12.25"], labels


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_map_link_coordinates_are_plain(client, guide_page_factory, office_factory, prefix):
    office = office_factory(latitude=Decimal("-17.393500"), longitude=Decimal("-66.279000"))
    guide = guide_page_factory(office=office)

    page = english(guide) if prefix else guide
    html = client.get(page.url).content.decode()
    href = re.search(r'href="(https://www\.openstreetmap\.org/[^"]*)"', html).group(1)
    url = urlsplit(href.replace("&amp;", "&"))
    assert parse_qs(url.query) == {"mlat": ["-17.393500"], "mlon": ["-66.279000"]}
    assert url.fragment == "map=18/-17.393500/-66.279000"


@pytest.mark.parametrize("prefix", LANGUAGES)
def test_proposal_counter_attributes_are_plain(client, proposal_factory, prefix):
    proposal = proposal_factory(pk=12345)

    for path in ("/participa/propuestas/", f"/participa/propuestas/{proposal.pk}/"):
        html = client.get(prefix + path).content.decode()
        assert _assert_plain(html)
        assert 'data-support-count="12345"' in html, path
