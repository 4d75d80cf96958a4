"""The DCAT catalogue and a dataset's DCAT pass the official DCAT-AP 3.0.1 SHACL shapes.

The shapes are SEMIC's own file (opendata/shacl/, with its licence). pyshacl runs
twice (the catalogue, one dataset) on a dataset with every field the portal has.
"""

import datetime
from collections import Counter
from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import RDF, Graph, Namespace, URIRef

from opendata.models import Resource

pytestmark = pytest.mark.django_db

SHAPES = Path(__file__).resolve().parents[2] / "opendata" / "shacl" / "dcat-ap-SHACL.ttl"
SH = Namespace("http://www.w3.org/ns/shacl#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(SHAPES, format="turtle")


@pytest.fixture
def full_dataset(dataset_factory, resource_version_factory, resource_factory):
    """A published dataset with every field: licence, publisher, contact, theme, frequency, period,
    keywords, a file resource (CSV/JSON/XLSX distributions) and an external link."""
    dataset = dataset_factory(
        title="Presupuesto municipal por distrito",
        slug="presupuesto-por-distrito",
        description="Presupuesto ejecutado por distrito, en bolivianos.",
        publisher="Secretaría Municipal de Finanzas",
        licence="CC-BY-SA-4.0",
        frequency="quarterly",
        theme="ECON",
        tags=["presupuesto", "distritos"],
        contact_name="Unidad de Datos Abiertos",
        contact_email="datos@example.bo",
        temporal_start=datetime.date(2024, 1, 1),
        temporal_end=datetime.date(2024, 12, 31),
    )
    resource_version_factory(resource__dataset=dataset, resource__description="Montos por distrito.")
    resource_factory(
        dataset=dataset, slug="visor", kind=Resource.Kind.URL, url="https://geo.example.bo/visor", url_format="html"
    )
    return dataset


def violations(data: Graph, shapes: Graph) -> list[str]:
    """Each violation as 'focus node · shape path · message' (empty when the data conforms)."""
    _conforms, report, _text = validate(data, shacl_graph=shapes, inference="none", advanced=False)
    report.bind("dct", "http://purl.org/dc/terms/", override=True)
    found = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        if report.value(result, SH.resultSeverity) != SH.Violation:
            continue
        path = report.value(result, SH.resultPath)
        found.append(
            f"{report.value(result, SH.focusNode)} · {path.n3(report.namespace_manager) if path else '-'} · "
            f"{report.value(result, SH.resultMessage)} (value: {report.value(result, SH.value)})"
        )
    return sorted(found)


def summary(found: list[str]) -> str:
    by_path = Counter(line.split(" · ")[1] for line in found)
    return f"{len(found)} violations by path {dict(by_path)}:\n" + "\n".join(found)


def test_catalogue_conforms_to_dcat_ap_3(client, full_dataset, shapes):
    response = client.get("/datos/catalogo.jsonld")
    data = Graph().parse(data=response.content, format="json-ld")
    catalogue = URIRef("http://testserver/datos/catalogo.jsonld")
    assert (catalogue, DCAT.dataset, URIRef("http://testserver/datos/presupuesto-por-distrito.jsonld")) in data
    found = violations(data, shapes)
    assert not found, summary(found)


def test_dataset_conforms_to_dcat_ap_3(client, full_dataset, shapes):
    response = client.get("/datos/presupuesto-por-distrito.jsonld")
    data = Graph().parse(data=response.content, format="json-ld")
    dataset = URIRef("http://testserver/datos/presupuesto-por-distrito.jsonld")
    assert len(set(data.objects(dataset, DCAT.distribution))) == 4  # CSV, JSON, XLSX and the link
    found = violations(data, shapes)
    assert not found, summary(found)
