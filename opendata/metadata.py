"""Metadata for machines: DCAT-AP 3 (dataset, catalogue) as JSON-LD, Turtle or RDF/XML, and schema.org Dataset."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from rdflib import Graph

from ayni.validators import safe_http_url
from opendata import links, vocab
from opendata.models import Dataset

DCAT_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "adms": "http://www.w3.org/ns/adms#",
    "dcatap": "http://data.europa.eu/r5r/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}

# The serialisations of the DCAT metadata: suffix -> (media type, rdflib format).
RDF_FORMATS = {
    "jsonld": ("application/ld+json", "json-ld"),
    "ttl": ("text/turtle", "turtle"),
    "rdf": ("application/rdf+xml", "xml"),
}


def _abs(request: HttpRequest | None, path: str) -> str:
    return links.absolute(path, request)


def _date(value) -> dict | None:
    return {"@value": value.isoformat(), "@type": "xsd:date"} if value else None


def _datetime(value) -> dict | None:
    return {"@value": value.isoformat(), "@type": "xsd:dateTime"} if value else None


def _uri(value: str) -> dict:
    return {"@id": value}


def _es(text) -> dict:
    """A Spanish literal (lazy labels are rendered in Spanish whatever the request's language)."""
    with translation.override("es"):
        return {"@value": str(text), "@language": "es"}


def _drop_empty(value):
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value if v not in (None, "", [], {})]
    return value


# DCAT-AP 3 wants every controlled value typed with the class its property expects
# (dct:LicenseDocument, dct:Frequency, skos:Concept, dct:MediaType, ...): a bare IRI
# fails the official SHACL shapes. These build those typed nodes.


def _licence(licence: vocab.Licence) -> dict:
    return {
        "@id": licence.eu_uri,
        "@type": "dct:LicenseDocument",
        "dct:title": _es(licence.label),
        "rdfs:seeAlso": _uri(licence.url),
    }


def _frequency(code: str) -> dict:
    return {
        "@id": vocab.FREQUENCY_URIS[code],
        "@type": ["dct:Frequency", "skos:Concept"],
        "skos:prefLabel": _es(dict(vocab.FREQUENCY_CHOICES)[code]),
        "skos:inScheme": _uri(vocab.FREQUENCY_SCHEME),
    }


def _theme(code: str) -> dict:
    return {
        "@id": vocab.THEME_URIS[code],
        "@type": "skos:Concept",
        "skos:prefLabel": _es(dict(vocab.THEME_CHOICES)[code]),
        "skos:inScheme": _uri(vocab.THEME_SCHEME),
    }


def _language() -> dict:
    return {"@id": vocab.LANGUAGE_URI, "@type": "dct:LinguisticSystem"}


def _document(url: str) -> dict:
    return {"@id": url, "@type": "foaf:Document"}


def _media_type(fmt: vocab.Format) -> dict:
    return {"@id": f"https://www.iana.org/assignments/media-types/{fmt.media_type}", "@type": "dct:MediaType"}


def _file_type(fmt: vocab.Format) -> dict:
    return {"@id": fmt.eu_uri, "@type": "dct:MediaTypeOrExtent", "rdfs:label": fmt.label}


def publisher_name(dataset: Dataset | None = None) -> str:
    return (dataset.publisher if dataset is not None else "") or settings.WAGTAIL_SITE_NAME


def _publisher(name: str, request) -> dict:
    return {
        "@id": links.publisher_uri(name, request),
        "@type": "foaf:Agent",
        "foaf:name": name,
        "dct:type": {
            "@id": vocab.PUBLISHER_TYPE_URI,
            "@type": "skos:Concept",
            "skos:prefLabel": {"@value": "Local Authority", "@language": "en"},
        },
    }


def _distributions(dataset: Dataset, request) -> list[dict]:
    licence = _licence(dataset.licence_info)
    items = []
    for resource in dataset.resources.all():
        if resource.kind == resource.Kind.URL:
            fmt = vocab.FORMATS.get((resource.url_format or "").lower())
            items.append(
                {
                    "@id": _abs(request, links.dataset_path(dataset.slug) + f"#recurso-{resource.slug}"),
                    "@type": "dcat:Distribution",
                    "dct:title": resource.label,
                    "dct:description": resource.description,
                    "dcat:accessURL": _uri(safe_http_url(resource.url)),
                    "dct:format": _file_type(fmt) if fmt else None,
                    "dct:license": licence,
                }
            )
            continue
        version = resource.latest_version()
        if version is None:
            continue
        for fmt in vocab.FORMATS.values():
            url = _abs(request, links.download_path(dataset.slug, resource.slug, fmt.extension))
            items.append(
                {
                    "@id": url,
                    "@type": "dcat:Distribution",
                    "dct:title": f"{resource.label} ({fmt.label})",
                    "dct:description": resource.description,
                    "dcat:accessURL": _uri(_abs(request, links.dataset_path(dataset.slug))),
                    "dcat:downloadURL": _uri(url),
                    "dcat:mediaType": _media_type(fmt),
                    "dct:format": _file_type(fmt),
                    "dct:license": licence,
                    "dct:issued": _datetime(version.uploaded_at),
                    "dct:modified": _datetime(version.uploaded_at),
                    "adms:versionNotes": f"v{version.number}: {version.row_count} filas",
                    "dcat:hasVersion": [
                        _uri(_abs(request, links.download_path(dataset.slug, resource.slug, fmt.extension, v.number)))
                        for v in sorted(resource.versions.all(), key=lambda v: v.number)
                    ],
                }
            )
    return items


def dcat_dataset(dataset: Dataset, *, request: HttpRequest | None = None, with_context: bool = True) -> dict:
    landing = _abs(request, links.dataset_path(dataset.slug))
    node = {
        "@id": _abs(request, links.dataset_jsonld_path(dataset.slug)),
        "@type": "dcat:Dataset",
        "dct:identifier": dataset.slug,
        "dct:title": {"@value": dataset.title, "@language": "es"},
        # dct:description is mandatory in DCAT-AP: the title stands in when there is none.
        "dct:description": {"@value": dataset.description or dataset.title, "@language": "es"},
        "dct:publisher": _publisher(publisher_name(dataset), request),
        "dct:license": _licence(dataset.licence_info),
        "dct:language": _language(),
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date(dataset.temporal_start),
            "dcat:endDate": _date(dataset.temporal_end),
        }
        if dataset.temporal_start or dataset.temporal_end
        else None,
        "dct:accrualPeriodicity": _frequency(dataset.frequency),
        "dcat:theme": _theme(dataset.theme),
        "dcat:keyword": [{"@value": tag.name, "@language": "es"} for tag in dataset.tags.all()],
        "dcat:contactPoint": {
            "@type": ["vcard:Kind", "vcard:Organization"],
            "vcard:fn": dataset.contact_name or publisher_name(dataset),
            "vcard:hasEmail": _uri(f"mailto:{dataset.contact_email}") if dataset.contact_email else None,
        },
        "dcat:landingPage": _document(landing),
        "dct:issued": _datetime(dataset.published_at),
        "dct:modified": _datetime(dataset.updated_at),
        "dcat:version": str(dataset.version),
        "dcat:distribution": _distributions(dataset, request),
    }
    if dataset.is_external and safe_http_url(dataset.source_url):
        # Harvested: the other portal's page about it (dct:source would need a full dcat:Dataset there).
        node["foaf:page"] = _document(dataset.source_url)
    node = _drop_empty(node)
    return {"@context": DCAT_CONTEXT, **node} if with_context else node


def dcat_catalogue(datasets, *, request: HttpRequest | None = None) -> dict:
    datasets = list(datasets)
    modified = max((d.updated_at for d in datasets if d.updated_at), default=None)
    return _drop_empty(
        {
            "@context": DCAT_CONTEXT,
            "@id": _abs(request, links.catalogue_jsonld_path()),
            "@type": "dcat:Catalog",
            "dct:title": {"@value": f"Datos abiertos · {settings.WAGTAIL_SITE_NAME}", "@language": "es"},
            "dct:description": {
                "@value": "Conjuntos de datos publicados por el gobierno municipal.",
                "@language": "es",
            },
            "dct:publisher": _publisher(publisher_name(), request),
            "foaf:homepage": _document(_abs(request, links.list_path())),
            "dct:language": _language(),
            "dct:modified": _datetime(modified),
            "dcat:themeTaxonomy": {
                "@id": vocab.THEME_SCHEME,
                "@type": "skos:ConceptScheme",
                "dct:title": {"@value": "Data theme", "@language": "en"},
            },
            "dcat:dataset": [dcat_dataset(d, request=request, with_context=False) for d in datasets],
        }
    )


def dcat_graph(document: dict) -> Graph:
    """The JSON-LD document as an rdflib graph (its context is inline: nothing is fetched)."""
    graph = Graph()
    graph.parse(data=json.dumps(document), format="json-ld")
    for prefix, namespace in DCAT_CONTEXT.items():
        graph.bind(prefix, namespace, override=True)
    return graph


def dcat_serialize(document: dict, suffix: str) -> str:
    """The DCAT document in the format of ``suffix`` (a key of RDF_FORMATS)."""
    if suffix == "jsonld":
        return json.dumps(document, ensure_ascii=False)
    return dcat_graph(document).serialize(format=RDF_FORMATS[suffix][1])


def schema_org_dataset(dataset: Dataset, *, request: HttpRequest | None = None) -> dict:
    distributions = []
    for resource in dataset.resources.all():
        if resource.kind == resource.Kind.URL:
            distributions.append(
                {"@type": "DataDownload", "name": resource.label, "contentUrl": safe_http_url(resource.url)}
            )
            continue
        if resource.latest_version() is None:
            continue
        for fmt in vocab.FORMATS.values():
            distributions.append(
                {
                    "@type": "DataDownload",
                    "name": f"{resource.label} ({fmt.label})",
                    "encodingFormat": fmt.media_type,
                    "contentUrl": _abs(request, links.download_path(dataset.slug, resource.slug, fmt.extension)),
                }
            )
    temporal = ""
    if dataset.temporal_start or dataset.temporal_end:
        start = dataset.temporal_start.isoformat() if dataset.temporal_start else ".."
        end = dataset.temporal_end.isoformat() if dataset.temporal_end else ".."
        temporal = f"{start}/{end}"
    organization = {"@type": "GovernmentOrganization", "name": dataset.publisher or settings.WAGTAIL_SITE_NAME}
    return _drop_empty(
        {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "@id": _abs(request, links.dataset_path(dataset.slug)),
            "name": dataset.title,
            "description": dataset.description or dataset.title,
            "url": _abs(request, links.dataset_path(dataset.slug)),
            "identifier": dataset.slug,
            "license": dataset.licence_info.url,
            "keywords": [tag.name for tag in dataset.tags.all()],
            "temporalCoverage": temporal,
            "creator": organization,
            "publisher": organization,
            "datePublished": dataset.published_at.date().isoformat() if dataset.published_at else None,
            "dateModified": dataset.updated_at.isoformat() if dataset.updated_at else None,
            "version": str(dataset.version),
            "isAccessibleForFree": True,
            "inLanguage": "es",
            "distribution": distributions,
            "isBasedOn": safe_http_url(dataset.source_url) if dataset.is_external else None,
        }
    )
