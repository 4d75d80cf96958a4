"""Importing another CKAN portal's datasets as external datasets (metadata + links)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from ayni.validators import safe_http_url
from opendata.ckan import mapping
from opendata.ckan.client import Ckan, CkanError
from opendata.models import Dataset, Resource

logger = logging.getLogger(__name__)

PAGE = 100
URL_MAX = 1000  # Resource.url


@dataclass
class HarvestReport:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] | None = None


def iter_packages(ckan: Ckan, *, organization: str = "") -> Iterator[dict]:
    """Every active public package, via package_search; package_list + package_show if search is unavailable."""
    start = 0
    try:
        while True:
            fq = f"organization:{organization}" if organization else ""
            page = ckan.package_search(fq=fq, rows=PAGE, start=start, include_private=False)
            yield from page["results"]
            start += PAGE
            if start >= page["count"]:
                return
    except CkanError:
        if start:
            raise
    for name in ckan.package_list():
        package = ckan.package_show(id=name)
        owner = (package.get("organization") or {}).get("name", "")
        if organization and owner != organization:
            continue
        yield package


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


@transaction.atomic
def harvest_package(*, package: dict, source: str) -> tuple[Dataset, bool]:
    """Create or refresh one external dataset from a CKAN package."""
    fields = mapping.dataset_from_package(package)
    slug = slugify(fields.pop("slug"))[:100]
    tags = fields.pop("tags")
    fields["temporal_start"] = _date(fields["temporal_start"])
    fields["temporal_end"] = _date(fields["temporal_end"])
    # Another portal's URLs are shown as links: only http(s) ever gets stored.
    source_url = safe_http_url(f"{source.rstrip('/')}/dataset/{quote(str(package['name']), safe='')}")
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is not None and not dataset.is_external:
        raise ValidationError(f"«{slug}» ya existe como conjunto propio del portal; no se sobrescribe.")
    created = dataset is None
    dataset = dataset or Dataset(slug=slug, is_external=True)
    for key, value in fields.items():
        setattr(dataset, key, value)
    dataset.is_external = True
    dataset.source_url = source_url
    dataset.status = Dataset.Status.PUBLISHED
    from opendata.services import dataset_save

    dataset = dataset_save(dataset=dataset, tags=tags)
    seen = set()
    for order, item in enumerate(package.get("resources") or [], start=1):
        url = safe_http_url(str(item.get("url") or "").strip())
        if not url or len(url) > URL_MAX:
            if item.get("url"):
                logger.warning(
                    "ckan harvest: resource %s of %s skipped, its URL is not http(s) or too long",
                    str(item.get("id") or order)[:64],
                    str(package.get("name"))[:100],
                )
            continue
        resource_slug = slugify(item.get("name") or item["id"])[:90] or f"recurso-{order}"
        while resource_slug in seen:
            resource_slug = f"{resource_slug}-{order}"
        seen.add(resource_slug)
        Resource.objects.update_or_create(
            dataset=dataset,
            slug=resource_slug,
            defaults={
                "title": (item.get("name") or "")[:255],
                "description": item.get("description") or "",
                "kind": Resource.Kind.URL,
                "url": url,
                "url_format": (item.get("format") or "")[:20],
                "sort_order": order,
            },
        )
    dataset.resources.exclude(slug__in=seen).delete()
    return dataset, created


def ckan_harvest(
    *, url: str, organization: str = "", ckan: Ckan | None = None, progress: Callable[[dict], None] | None = None
) -> HarvestReport:
    ckan = ckan or Ckan(url, token="")
    report = HarvestReport(errors=[])
    for package in iter_packages(ckan, organization=organization):
        if package.get("private") or package.get("state", "active") != "active":
            report.skipped += 1
            continue
        try:
            _dataset, created = harvest_package(package=package, source=url)
        except ValidationError as exc:
            report.errors.append(f"{package.get('name')}: {' '.join(exc.messages)}")
            report.skipped += 1
        else:
            report.created += int(created)
            report.updated += int(not created)
        if progress:
            progress(package)
    return report
