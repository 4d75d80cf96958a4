"""Numbers that go into markup (SVG attributes, URLs) are never localized.

Spanish formats decimals with a comma: a chart bar ``width="300,0"`` is not a
length (the browser draws nothing) and ``?mlat=-17,393500`` is not a
coordinate. Visible text still follows the language.
"""

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from opendata import services
from tests.cms.factories import english

pytestmark = pytest.mark.django_db

NUMBER = re.compile(r"-?\d+(\.\d+)?")
CSV = "distrito,nombre,monto\n1,Tacata,1500.5\n2,Piñami,2300\n3,Santo Domingo,-12\n".encode()


@pytest.fixture
def chart_dataset(db):
    dataset = services.dataset_create(title="Recaudación por distrito", slug="recaudacion-numeros", publish=True)
    resource = services.resource_create(dataset=dataset, slug="recaudacion", title="Recaudación 2024")
    services.resource_version_upload(resource=resource, filename="recaudacion.csv", data=CSV)
    return dataset


def _svg(html: str) -> str:
    match = re.search(r"<svg\b.*?</svg>", html, re.S)
    assert match, "the dataset page has no chart"
    return match.group(0)


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_chart_attributes_are_plain_numbers_in_every_language(client, chart_dataset, prefix):
    response = client.get(f"{prefix}/datos/recaudacion-numeros/")
    assert response.status_code == 200
    svg = _svg(response.content.decode())
    numeric = re.findall(r'\b(x|y|width|height)="([^"%]*)"', svg)
    assert numeric, svg
    for name, value in numeric:
        assert NUMBER.fullmatch(value), f'{name}="{value}" is not a number'
    widths = [float(v) for n, v in re.findall(r'<rect[^>]*\b(width)="([^"]*)"', svg)]
    assert max(widths) == 300.0 and all(w > 0 for w in widths)
    viewbox = re.search(r'viewBox="([^"]*)"', svg).group(1)
    assert all(NUMBER.fullmatch(part) for part in viewbox.split())
    for transform in re.findall(r'transform="translate\(([^)]*)\)"', svg):
        assert all(NUMBER.fullmatch(part) for part in transform.split())


def test_chart_value_labels_still_follow_the_language(client, chart_dataset):
    spanish = _svg(client.get("/datos/recaudacion-numeros/").content.decode())
    english = _svg(client.get("/en/datos/recaudacion-numeros/").content.decode())
    assert ">1500,50</text>" in spanish
    assert ">1500.50</text>" in english


@pytest.fixture
def guide_with_office(guide_page_factory, office_factory):
    return guide_page_factory(office=office_factory(latitude=Decimal("-17.393500"), longitude=Decimal("-66.279000")))


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_map_link_coordinates_are_plain_numbers(client, guide_with_office, prefix):
    page = english(guide_with_office) if prefix else guide_with_office
    response = client.get(page.url)
    assert response.status_code == 200
    html = response.content.decode()
    match = re.search(r'href="(https://www\.openstreetmap\.org/[^"]*)"', html)
    assert match, "no map link on the guide"
    url = urlsplit(match.group(1).replace("&amp;", "&"))
    query = parse_qs(url.query)
    assert query["mlat"] == ["-17.393500"] and query["mlon"] == ["-66.279000"]
    assert url.fragment == "map=18/-17.393500/-66.279000"
