"""Unit tests of the field mapping between portal datasets and CKAN packages."""

import datetime as dt

import pytest

from opendata import services
from opendata.ckan import mapping
from opendata.ckan.sync import plan

pytestmark = pytest.mark.django_db


def test_package_dict_maps_every_field(dataset, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://portal.example.bo"
    dataset.temporal_start, dataset.temporal_end = dt.date(2024, 1, 1), dt.date(2024, 12, 31)
    dataset.frequency = "monthly"
    dataset.contact_name, dataset.contact_email = "Unidad de Datos", "datos@example.bo"
    dataset.licence = "CC0-1.0"
    services.dataset_save(dataset=dataset, tags=["impuestos", "distritos", "a/b testing", "x"])
    package = mapping.package_dict(dataset, organization="gam-ejemplo")
    assert package["name"] == "recaudacion-por-distrito"
    assert package["title"] == "Recaudación por distrito"
    assert package["notes"] == "Impuestos recaudados por distrito municipal."
    assert package["license_id"] == "cc-zero"
    assert package["owner_org"] == "gam-ejemplo"
    assert package["url"] == "https://portal.example.bo/datos/recaudacion-por-distrito/"
    assert package["version"] == str(dataset.version)
    assert package["maintainer"] == "Unidad de Datos" and package["maintainer_email"] == "datos@example.bo"
    # CKAN tags: no "/" and at least two characters.
    assert package["tags"] == [{"name": "a b testing"}, {"name": "distritos"}, {"name": "impuestos"}]
    extras = {item["key"]: item["value"] for item in package["extras"]}
    # The keys ckanext-dcat's DCAT-AP profiles read, with controlled values as URIs.
    assert extras == {
        "temporal_start": "2024-01-01",
        "temporal_end": "2024-12-31",
        "frequency": "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
        "theme": "http://publications.europa.eu/resource/authority/data-theme/ECON",
        "language": "http://publications.europa.eu/resource/authority/language/SPA",
        "publisher_name": "Dirección de Recaudaciones",
        "publisher_uri": "https://portal.example.bo/datos/catalogo.jsonld#publicador-direccion-de-recaudaciones",
        "publisher_type": "http://purl.org/adms/publishertype/LocalAuthority",
        "portal_url": "https://portal.example.bo/datos/recaudacion-por-distrito/",
        "portal_version": str(dataset.version),
    }


def test_publisher_uri_is_the_one_in_the_dcat_catalogue(client, dataset, settings):
    """The publisher_uri sent to CKAN names the same agent as the portal's own DCAT."""
    from rdflib import Graph, Namespace, URIRef

    dct = Namespace("http://purl.org/dc/terms/")
    settings.WAGTAILADMIN_BASE_URL = "http://testserver"
    extras = {e["key"]: e["value"] for e in mapping.package_dict(dataset, organization="o")["extras"]}
    graph = Graph().parse(data=client.get("/datos/recaudacion-por-distrito.jsonld").content, format="json-ld")
    dataset_iri = URIRef("http://testserver/datos/recaudacion-por-distrito.jsonld")
    assert graph.value(dataset_iri, dct.publisher) == URIRef(extras["publisher_uri"])


def test_empty_extras_are_left_out_and_the_site_publishes_by_default(dataset, settings):
    dataset.publisher = ""
    services.dataset_save(dataset=dataset)
    extras = {item["key"]: item["value"] for item in mapping.package_dict(dataset, organization="o")["extras"]}
    assert "temporal_start" not in extras and "temporal_end" not in extras and "portal_version" in extras
    assert extras["publisher_name"] == settings.WAGTAIL_SITE_NAME


def test_resource_dict_for_file_and_link(version, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://portal.example.bo"
    data = mapping.resource_dict(version.resource, version)
    assert data == {
        "name": "Recaudación 2024",
        "description": "",
        "license": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        "ayni_resource": str(version.resource.pk),
        "format": "CSV",
        "mimetype": "text/csv",
        "ayni_version": "1",
        "ayni_sha256": version.sha256,
        "ayni_rows": "3",
        "ayni_permalink": "https://portal.example.bo/datos/recaudacion-por-distrito/recaudacion/v1.csv",
    }
    link = services.resource_create(
        dataset=version.resource.dataset, slug="mapa", kind="url", url="https://geo.example.bo/mapa", url_format="wms"
    )
    assert mapping.resource_dict(link, None) == {
        "name": "mapa",
        "description": "",
        "license": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
        "ayni_resource": str(link.pk),
        "url": "https://geo.example.bo/mapa",
        "format": "WMS",
    }


def test_ckan_tag_cleaning():
    assert mapping.ckan_tag("atención ciudadana") == "atención ciudadana"
    assert mapping.ckan_tag("covid-19") == "covid-19"
    assert mapping.ckan_tag("salud/hospitales") == "salud hospitales"
    assert mapping.ckan_tag("¡") is None
    assert len(mapping.ckan_tag("x" * 300)) == 100


def test_fingerprint_changes_only_with_content(version):
    dataset = version.resource.dataset
    first = plan(dataset, organization="o").fingerprint
    assert plan(dataset, organization="o").fingerprint == first
    services.resource_version_upload(resource=version.resource, filename="v2.csv", data=b"a\n1\n")
    dataset.refresh_from_db()
    assert plan(dataset, organization="o").fingerprint != first


def test_dataset_from_package_is_the_inverse_mapping():
    package = {
        "name": "presupuesto-2024",
        "title": "Presupuesto 2024",
        "notes": "Presupuesto aprobado.",
        "license_id": "odc-odbl",
        "maintainer": "Finanzas",
        "maintainer_email": "finanzas@example.bo",
        "organization": {"name": "gam", "title": "GAM Ejemplo"},
        "tags": [{"name": "presupuesto"}],
        "extras": [{"key": "frequency", "value": "annual"}, {"key": "temporal_start", "value": "2024-01-01"}],
    }
    fields = mapping.dataset_from_package(package)
    assert fields["slug"] == "presupuesto-2024" and fields["licence"] == "ODbL-1.0"
    assert fields["publisher"] == "GAM Ejemplo" and fields["frequency"] == "annual"
    assert fields["temporal_start"] == "2024-01-01" and fields["tags"] == ["presupuesto"]
    assert mapping.dataset_from_package({"name": "x1", "license_id": "other"})["licence"] == "CC-BY-4.0"


def test_dataset_from_package_reads_ckanext_dcat_uris():
    """A package as ckanext-dcat fills it from DCAT-AP: URIs for frequency, theme and licence, publisher_* extras."""
    eu = "http://publications.europa.eu/resource/authority"
    package = {
        "name": "camas-2020",
        "license_id": f"{eu}/licence/CC_BYSA_4_0",
        "extras": [
            {"key": "frequency", "value": f"{eu}/frequency/QUARTERLY"},
            {"key": "theme", "value": f'["{eu}/data-theme/HEAL", "{eu}/data-theme/SOCI"]'},
            {"key": "publisher_name", "value": "Secretaría de Salud"},
            {"key": "contact_email", "value": "salud@example.bo"},
        ],
    }
    fields = mapping.dataset_from_package(package)
    assert fields["frequency"] == "quarterly" and fields["theme"] == "HEAL" and fields["licence"] == "CC-BY-SA-4.0"
    assert fields["publisher"] == "Secretaría de Salud" and fields["contact_email"] == "salud@example.bo"
    single = mapping.dataset_from_package(
        {"name": "x2", "license_id": "cc-zero", "extras": [{"key": "theme", "value": f"{eu}/data-theme/TRAN"}]}
    )
    assert single["theme"] == "TRAN" and single["licence"] == "CC0-1.0" and single["frequency"] == "irregular"
    unknown = mapping.dataset_from_package(
        {"name": "x3", "extras": [{"key": "theme", "value": "[broken"}, {"key": "frequency", "value": "x"}]}
    )
    assert unknown["theme"] == "GOVE" and unknown["frequency"] == "irregular"
