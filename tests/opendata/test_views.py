"""The public pages, the downloads and the machine-readable metadata."""

import datetime
import io
import json
import re

import pytest
from openpyxl import load_workbook
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic

from opendata import services
from opendata.models import Dataset
from tests.opendata.conftest import CSV_V2

pytestmark = pytest.mark.django_db

DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
BASE = "http://testserver"


@pytest.fixture
def beds(resource_version_factory, dataset_factory):
    """A second published dataset, of another theme, tags and columns than ``dataset``."""
    dataset = dataset_factory(
        title="Ocupación de camas de prueba",
        theme="HEAL",
        tags=["salud", "hospitales", "camas"],
        temporal_start=datetime.date(2020, 1, 10),
        temporal_end=datetime.date(2020, 1, 10),
    )
    resource_version_factory(
        resource__dataset=dataset, data=b"hospital,libres,ocupadas\nLa Merced,51,20\nLos Pinos,1,32\n"
    )
    return dataset


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_list_shows_published_datasets_and_filters(client, version, beds):
    services.dataset_create(title="Borrador secreto", slug="borrador-secreto")
    page = client.get("/datos/").content.decode()
    assert "Recaudación por distrito" in page and "Ocupación de camas de prueba" in page
    assert "Borrador secreto" not in page
    by_tag = client.get("/datos/", {"etiqueta": "impuestos"}).content.decode()
    assert "Recaudación por distrito" in by_tag and "Ocupación de camas de prueba" not in by_tag
    by_theme = client.get("/datos/", {"tema": "HEAL"}).content.decode()
    assert "Ocupación de camas de prueba" in by_theme and "Recaudación por distrito" not in by_theme
    by_format = client.get("/datos/", {"formato": "xlsx"}).content.decode()
    assert "Recaudación por distrito" in by_format
    none = client.get("/datos/", {"formato": "pdf"}).content.decode()
    assert "Recaudación por distrito" not in none and "No hay conjuntos de datos" in none


def test_search_finds_datasets_by_column_name_and_tag(client, version, beds):
    page = client.get("/datos/", {"q": "monto"}).content.decode()
    assert "Recaudación por distrito" in page and "Ocupación de camas de prueba" not in page
    page = client.get("/datos/", {"q": "hospitales"}).content.decode()
    assert "Ocupación de camas de prueba" in page and "Recaudación por distrito" not in page


def test_detail_page_preview_chart_versions_and_schema_org(client, version):
    services.resource_version_upload(resource=version.resource, filename="v2.csv", data=CSV_V2)
    response = client.get("/datos/recaudacion-por-distrito/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption" in html and "primeras 4 filas" in html
    assert '<th scope="col">monto</th>' in html and "<td>La Chulla</td>" in html
    assert 'role="img"' in html and "Gráfico de «monto»" in html
    assert "/datos/recaudacion-por-distrito/recaudacion/v1.csv" in html
    assert "/datos/recaudacion-por-distrito/recaudacion/v2.xlsx" in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Dataset" and data["name"] == "Recaudación por distrito"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert {d["encodingFormat"] for d in data["distribution"]} == {
        "text/csv",
        "application/json",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    # Valid JSON-LD (the schema.org context is inlined: no network in tests).
    graph = Graph().parse(data=json.dumps({**data, "@context": {"@vocab": "https://schema.org/"}}), format="json-ld")
    subject = URIRef(f"{BASE}/datos/recaudacion-por-distrito/")
    assert (subject, RDF.type, URIRef("https://schema.org/Dataset")) in graph
    assert len(list(graph.objects(subject, URIRef("https://schema.org/distribution")))) == 3


def test_downloads_in_three_formats_with_types_and_names(client, version):
    csv_response = client.get("/datos/recaudacion-por-distrito/recaudacion.csv")
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="recaudacion-por-distrito_recaudacion_v1.csv"' in csv_response["Content-Disposition"]
    assert body(csv_response).decode().splitlines()[0] == "distrito,nombre,monto"
    json_response = client.get("/datos/recaudacion-por-distrito/recaudacion.json")
    assert json_response["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(body(json_response))[1] == {"distrito": 2, "nombre": "Piñami", "monto": 2300.0}
    xlsx_response = client.get("/datos/recaudacion-por-distrito/recaudacion.xlsx")
    assert xlsx_response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in xlsx_response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(body(xlsx_response))).active
    assert sheet.max_row == 4 and sheet["B3"].value == "Piñami"


def test_each_version_has_its_own_permanent_url(client, version):
    services.resource_version_upload(resource=version.resource, filename="v2.csv", data=CSV_V2)
    latest = client.get("/datos/recaudacion-por-distrito/recaudacion.csv")
    latest_body = body(latest)
    v1 = client.get("/datos/recaudacion-por-distrito/recaudacion/v1.csv")
    v1_body = body(v1)
    v2_body = body(client.get("/datos/recaudacion-por-distrito/recaudacion/v2.csv"))
    assert latest_body == v2_body != v1_body
    assert len(v1_body.decode().splitlines()) == 4 and len(v2_body.decode().splitlines()) == 5
    assert latest["Link"] == f'<{BASE}/datos/recaudacion-por-distrito/recaudacion/v2.csv>; rel="canonical"'
    assert "immutable" in v1["Cache-Control"]
    assert client.get("/datos/recaudacion-por-distrito/recaudacion/v3.csv").status_code == 404


def test_missing_and_draft_datasets_are_404(client, version):
    assert client.get("/datos/no-existe/").status_code == 404
    assert client.get("/datos/recaudacion-por-distrito/otro.csv").status_code == 404
    assert client.get("/datos/recaudacion-por-distrito/recaudacion.pdf").status_code == 404
    services.dataset_unpublish(dataset=version.resource.dataset)
    assert client.get("/datos/recaudacion-por-distrito/").status_code == 404
    assert client.get("/datos/recaudacion-por-distrito/recaudacion.csv").status_code == 404
    assert client.get("/datos/recaudacion-por-distrito.jsonld").status_code == 404


def test_dcat_dataset_is_valid_rdf(client, version):
    response = client.get("/datos/recaudacion-por-distrito.jsonld")
    assert response["Content-Type"] == "application/ld+json"
    graph = Graph().parse(data=response.content, format="json-ld")
    dataset = URIRef(f"{BASE}/datos/recaudacion-por-distrito.jsonld")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert (dataset, DCT.title, Literal("Recaudación por distrito", lang="es")) in graph
    assert (dataset, DCAT.theme, URIRef("http://publications.europa.eu/resource/authority/data-theme/ECON")) in graph
    assert (dataset, DCAT.keyword, Literal("impuestos", lang="es")) in graph
    distributions = list(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == 3
    urls = {str(graph.value(d, DCAT.downloadURL)) for d in distributions}
    assert urls == {f"{BASE}/datos/recaudacion-por-distrito/recaudacion.{ext}" for ext in ("csv", "json", "xlsx")}
    for distribution in distributions:
        assert (distribution, RDF.type, DCAT.Distribution) in graph
        licence = graph.value(distribution, DCT.license)
        assert licence == URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
        assert (licence, RDF.type, DCT.LicenseDocument) in graph
        assert (licence, RDFS.seeAlso, URIRef("https://creativecommons.org/licenses/by/4.0/")) in graph
        assert (distribution, DCAT.hasVersion, None) in graph


def test_dcat_catalogue_lists_every_published_dataset(client, version, beds, dataset_factory):
    dataset_factory(publish=False)  # a draft is not in the catalogue
    graph = Graph().parse(data=client.get("/datos/catalogo.jsonld").content, format="json-ld")
    catalogue = URIRef(f"{BASE}/datos/catalogo.jsonld")
    assert (catalogue, RDF.type, DCAT.Catalog) in graph
    datasets = set(graph.objects(catalogue, DCAT.dataset))
    assert len(datasets) == Dataset.objects.published().count()
    assert URIRef(f"{BASE}/datos/{beds.slug}.jsonld") in datasets
    temporal = graph.value(URIRef(f"{BASE}/datos/{beds.slug}.jsonld"), DCT.temporal)
    assert str(graph.value(temporal, DCAT.startDate)) == "2020-01-10"


RDF_TYPES = {"jsonld": "application/ld+json", "ttl": "text/turtle", "rdf": "application/rdf+xml"}
RDFLIB = {"application/ld+json": "json-ld", "text/turtle": "turtle", "application/rdf+xml": "xml"}


def _graph(response) -> Graph:
    media_type = response["Content-Type"].split(";")[0]
    return Graph().parse(data=response.content, format=RDFLIB[media_type])


def test_dcat_in_turtle_and_rdf_xml_by_suffix(client, version):
    jsonld = _graph(client.get("/datos/recaudacion-por-distrito.jsonld"))
    catalogue = _graph(client.get("/datos/catalogo.jsonld"))
    for suffix, media_type in RDF_TYPES.items():
        response = client.get(f"/datos/recaudacion-por-distrito.{suffix}")
        assert response.status_code == 200 and response["Content-Type"].startswith(media_type)
        assert isomorphic(_graph(response), jsonld), suffix
        response = client.get(f"/datos/catalogo.{suffix}")
        assert response.status_code == 200 and response["Content-Type"].startswith(media_type)
        assert isomorphic(_graph(response), catalogue), suffix
    turtle = client.get("/datos/recaudacion-por-distrito.ttl").content.decode()
    assert "@prefix dcat: <http://www.w3.org/ns/dcat#>" in turtle and "dcat:Dataset" in turtle


def test_dcat_content_negotiation_and_406(client, version):
    url = "/datos/recaudacion-por-distrito.jsonld"
    for accept, media_type in [
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", "application/ld+json"),  # a browser
        ("", "application/ld+json"),
    ]:
        response = client.get(url, HTTP_ACCEPT=accept) if accept else client.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith(media_type), accept
        assert "Accept" in [v.strip() for v in response["Vary"].split(",")]
        assert (URIRef(f"{BASE}{url}"), RDF.type, DCAT.Dataset) in _graph(response)
    turtle = client.get("/datos/catalogo.jsonld", HTTP_ACCEPT="text/turtle")
    assert turtle["Content-Type"] == "text/turtle; charset=utf-8"
    assert (URIRef(f"{BASE}/datos/catalogo.jsonld"), RDF.type, DCAT.Catalog) in _graph(turtle)
    # Nothing the portal can give, or a suffix it does not know: 406 with a Spanish explanation.
    for response in [
        client.get(url, HTTP_ACCEPT="application/pdf"),
        client.get("/datos/catalogo.jsonld", HTTP_ACCEPT="text/csv"),
        client.get("/datos/recaudacion-por-distrito.xml"),
        client.get("/datos/catalogo.n3"),
    ]:
        assert response.status_code == 406
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert "Formato no disponible" in response.content.decode() and "Turtle (.ttl" in response.content.decode()
    # A draft has no metadata in any format.
    services.dataset_unpublish(dataset=version.resource.dataset)
    assert client.get("/datos/recaudacion-por-distrito.ttl").status_code == 404


def test_pages_link_every_dcat_format(client, version):
    html = client.get("/datos/recaudacion-por-distrito/").content.decode()
    for suffix, media_type in RDF_TYPES.items():
        href = f"/datos/recaudacion-por-distrito.{suffix}"
        assert f'<link rel="alternate" type="{media_type}" href="{href}"' in html
        assert f'<a href="{href}" type="{media_type}">' in html
    assert "Metadatos DCAT-AP:" in html and ">Turtle</a>" in html and ">RDF/XML</a>" in html
    listing = client.get("/datos/").content.decode()
    assert '<link rel="alternate" type="text/turtle" href="/datos/catalogo.ttl"' in listing
    assert '<a href="/datos/catalogo.rdf" type="application/rdf+xml">RDF/XML</a>' in listing


def test_bolivian_numbers_get_a_chart_typed_downloads_and_a_note(client, resource_version_factory, dataset_factory):
    dataset = dataset_factory(slug="ejecucion-presupuestaria")
    resource_version_factory(
        resource__dataset=dataset,
        resource__slug="ejecucion",
        data="unidad;monto\nSalud;1.234,50\nEducación;12.000,00\nObras;950,25\n".encode(),
    )
    html = client.get("/datos/ejecucion-presupuestaria/").content.decode()
    assert "Gráfico de «monto»" in html
    assert "La columna monto se subió con punto de miles y coma decimal (1.234,56)" in html
    records = json.loads(body(client.get("/datos/ejecucion-presupuestaria/ejecucion.json")))
    assert [r["monto"] for r in records] == [1234.5, 12000.0, 950.25]
    book = load_workbook(io.BytesIO(body(client.get("/datos/ejecucion-presupuestaria/ejecucion.xlsx"))))
    assert [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)] == [1234.5, 12000.0, 950.25]
