"""Field mapping: a portal dataset as a CKAN package, a resource as a CKAN resource.

Pure functions (no HTTP); unit-tested field by field.
"""

from __future__ import annotations

import hashlib
import json
import re

from django.conf import settings

from ayni.validators import safe_http_url
from opendata import links, vocab
from opendata.models import Dataset, Resource, ResourceVersion

_TAG_FORBIDDEN = re.compile(r"[^\w \-.]", re.UNICODE)
TAG_MAX = 100


def dataset_url(dataset: Dataset) -> str:
    return links.absolute(links.dataset_path(dataset.slug))


def ckan_tag(name: str) -> str | None:
    """CKAN tags allow letters, digits, spaces, ``-``, ``_`` and ``.`` (2 to 100 characters)."""
    cleaned = " ".join(_TAG_FORBIDDEN.sub(" ", name).split())[:TAG_MAX]
    return cleaned if len(cleaned) >= 2 else None


def package_dict(dataset: Dataset, *, organization: str) -> dict:
    """The CKAN ``package_create``/``package_patch`` payload of ``dataset``."""
    tags = sorted({tag for tag in (ckan_tag(t.name) for t in dataset.tags.all()) if tag})
    publisher = dataset.publisher or settings.WAGTAIL_SITE_NAME
    # The extras ckanext-dcat's DCAT-AP profiles read (controlled values as URIs), then the bridge's own.
    extras = {
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "frequency": vocab.FREQUENCY_URIS.get(dataset.frequency, ""),
        "theme": vocab.THEME_URIS.get(dataset.theme, ""),
        "language": vocab.LANGUAGE_URI,
        "publisher_name": publisher,
        "publisher_uri": links.publisher_uri(publisher),
        "publisher_type": vocab.PUBLISHER_TYPE_URI,
        "portal_url": dataset_url(dataset),
        "portal_version": str(dataset.version),
    }
    package = {
        "name": dataset.slug,
        "title": dataset.title,
        "notes": dataset.description,
        "license_id": dataset.licence_info.ckan_id,
        "owner_org": organization,
        "url": dataset_url(dataset),
        "version": str(dataset.version),
        "private": False,
        "tags": [{"name": tag} for tag in tags],
        "extras": [{"key": key, "value": value} for key, value in extras.items() if value],
    }
    if dataset.contact_name:
        package["maintainer"] = dataset.contact_name
    if dataset.contact_email:
        package["maintainer_email"] = dataset.contact_email
    return package


def resource_dict(resource: Resource, version: ResourceVersion | None) -> dict:
    """The CKAN resource payload; ``ayni_*`` keys let the bridge find it again."""
    data = {
        "name": resource.label,
        "description": resource.description,
        # ckanext-dcat's distribution licence (dct:license): the EU authority URI.
        "license": resource.dataset.licence_info.eu_uri,
        "ayni_resource": str(resource.pk),
    }
    if resource.kind == Resource.Kind.URL:
        data.update({"url": safe_http_url(resource.url), "format": (resource.url_format or "").upper()})
        return data
    if version is not None:
        data.update(
            {
                "format": "CSV",
                "mimetype": vocab.FORMATS["csv"].media_type,
                "ayni_version": str(version.number),
                "ayni_sha256": version.sha256,
                "ayni_rows": str(version.row_count),
                "ayni_permalink": links.absolute(
                    links.download_path(resource.dataset.slug, resource.slug, "csv", version.number)
                ),
            }
        )
    return data


def resource_fingerprint(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def dataset_fingerprint(package: dict, resources: list[dict]) -> str:
    """The content hash that decides whether a dataset must be sent again."""
    payload = {"package": package, "resources": resources}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _licence_code(package: dict) -> str:
    """The portal licence of a package: CKAN's licence id, or a licence URI (EU authority or the licence's own)."""
    value = package.get("license_id") or package.get("license_url") or ""
    if value in vocab.CKAN_LICENCES:
        return vocab.CKAN_LICENCES[value]
    found = next((c for c, licence in vocab.LICENCES.items() if value in (licence.eu_uri, licence.url)), None)
    return found or vocab.DEFAULT_LICENCE


def dataset_from_package(package: dict) -> dict:
    """Harvest: the portal's fields from a CKAN package (the inverse mapping).

    Frequency and theme are read as the URIs ckanext-dcat uses or as the portal's own codes.
    """
    extras = {item["key"]: item["value"] for item in package.get("extras") or []}
    themes = extras.get("theme", "")
    if themes.startswith("["):  # ckanext-dcat's list form: a JSON list of URIs
        try:
            themes = (json.loads(themes) or [""])[0]
        except (ValueError, TypeError, IndexError, KeyError):
            themes = ""
    publisher = (package.get("organization") or {}).get("title") or extras.get("publisher_name")
    return {
        "slug": package["name"][:100],
        "title": (package.get("title") or package["name"])[:255],
        "description": package.get("notes") or "",
        "publisher": (publisher or extras.get("publisher") or "")[:200],
        "licence": _licence_code(package),
        "frequency": vocab.by_uri(vocab.FREQUENCY_URIS, extras.get("frequency", "")) or "irregular",
        "theme": vocab.by_uri(vocab.THEME_URIS, str(themes)) or "GOVE",
        "contact_name": (package.get("maintainer") or package.get("author") or extras.get("contact_name") or "")[:200],
        "contact_email": package.get("maintainer_email")
        or package.get("author_email")
        or extras.get("contact_email")
        or "",
        "temporal_start": extras.get("temporal_start") or None,
        "temporal_end": extras.get("temporal_end") or None,
        "tags": [tag["name"] for tag in package.get("tags") or []],
    }
