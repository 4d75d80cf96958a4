"""Metadata for machines: DCAT-AP 3 JSON-LD (dataset, catalogue) and schema.org Dataset."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

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
}


def _abs(request: HttpRequest | None, path: str) -> str:
    return links.absolute(path, request)


def _date(value) -> dict | None:
    return {"@value": value.isoformat(), "@type": "xsd:date"} if value else None


def _datetime(value) -> dict | None:
    return {"@value": value.isoformat(), "@type": "xsd:dateTime"} if value else None


def _uri(value: str) -> dict:
    return {"@id": value}


def _drop_empty(value):
    if isinstance(value, dict):
        return {k: _drop_empty(v) for k, v in value.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [_drop_empty(v) for v in value if v not in (None, "", [], {})]
    return value


def _distributions(dataset: Dataset, request) -> list[dict]:
    licence = _uri(dataset.licence_info.url)
    items = []
    for resource in dataset.resources.all():
        if resource.kind == resource.Kind.URL:
            items.append(
                {
                    "@id": _abs(request, links.dataset_path(dataset.slug) + f"#recurso-{resource.slug}"),
                    "@type": "dcat:Distribution",
                    "dct:title": resource.label,
                    "dct:description": resource.description,
                    "dcat:accessURL": _uri(safe_http_url(resource.url)),
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
                    "dcat:mediaType": _uri(f"https://www.iana.org/assignments/media-types/{fmt.media_type}"),
                    "dct:format": _uri(fmt.eu_uri),
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
        "dct:description": {"@value": dataset.description, "@language": "es"} if dataset.description else None,
        "dct:publisher": {
            "@type": "foaf:Agent",
            "foaf:name": dataset.publisher or settings.WAGTAIL_SITE_NAME,
        },
        "dct:license": _uri(dataset.licence_info.url),
        "dct:temporal": {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date(dataset.temporal_start),
            "dcat:endDate": _date(dataset.temporal_end),
        }
        if dataset.temporal_start or dataset.temporal_end
        else None,
        "dct:accrualPeriodicity": _uri(vocab.FREQUENCY_URIS[dataset.frequency]),
        "dcat:theme": _uri(vocab.THEME_URIS[dataset.theme]),
        "dcat:keyword": [{"@value": tag.name, "@language": "es"} for tag in dataset.tags.all()],
        "dcat:contactPoint": {
            "@type": "vcard:Kind",
            "vcard:fn": dataset.contact_name or dataset.publisher or settings.WAGTAIL_SITE_NAME,
            "vcard:hasEmail": _uri(f"mailto:{dataset.contact_email}") if dataset.contact_email else None,
        },
        "dcat:landingPage": _uri(landing),
        "dct:issued": _datetime(dataset.published_at),
        "dct:modified": _datetime(dataset.updated_at),
        "dcat:version": str(dataset.version),
        "dcat:distribution": _distributions(dataset, request),
    }
    if dataset.is_external and safe_http_url(dataset.source_url):
        node["dct:source"] = _uri(dataset.source_url)
    node = _drop_empty(node)
    return {"@context": DCAT_CONTEXT, **node} if with_context else node


def dcat_catalogue(datasets, *, request: HttpRequest | None = None) -> dict:
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
            "dct:publisher": {"@type": "foaf:Agent", "foaf:name": settings.WAGTAIL_SITE_NAME},
            "foaf:homepage": _uri(_abs(request, links.list_path())),
            "dct:language": _uri("http://publications.europa.eu/resource/authority/language/SPA"),
            "dcat:dataset": [dcat_dataset(d, request=request, with_context=False) for d in datasets],
        }
    )


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
