"""Writes of the open-data app: datasets, resources and resource versions."""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from wagtail.search import index

from ayni.validators import validate_http_url
from cms.selectors import site_contact
from opendata import exports, vocab
from opendata.ckan import services as ckan_services
from opendata.models import Dataset, Resource, ResourceVersion
from opendata.models.settings import default_licence
from opendata.parsing import Table, parse_upload

# Fields whose change makes a new dataset version (and a new CKAN push).
TRACKED_FIELDS = (
    "title",
    "slug",
    "description",
    "publisher",
    "licence",
    "temporal_start",
    "temporal_end",
    "frequency",
    "theme",
    "contact_name",
    "contact_email",
    "status",
)


def max_upload_bytes() -> int:
    return settings.OPENDATA_MAX_UPLOAD_MB * 1024 * 1024


def dataset_validate(*, dataset: Dataset) -> None:
    if dataset.licence not in vocab.LICENCES:
        raise ValidationError({"licence": _("Elija una licencia de la lista.")})
    if dataset.temporal_start and dataset.temporal_end and dataset.temporal_start > dataset.temporal_end:
        raise ValidationError({"temporal_end": _("La cobertura termina antes de empezar.")})
    clash = Dataset.objects.filter(slug=dataset.slug).exclude(pk=dataset.pk)
    if not dataset.slug or clash.exists():
        raise ValidationError({"slug": _("Ya existe un conjunto de datos con este slug.")})


@transaction.atomic
def dataset_save(*, dataset: Dataset, tags: list[str] | None = None) -> Dataset:
    """Create or update a dataset (e.g. from the admin form); handles publishing and CKAN."""
    dataset_validate(dataset=dataset)
    previous = Dataset.objects.select_for_update().filter(pk=dataset.pk).first() if dataset.pk else None
    old_tags = sorted(t.name for t in previous.tags.all()) if previous else []
    changed = previous is None or any(getattr(previous, f) != getattr(dataset, f) for f in TRACKED_FIELDS)
    if tags is not None and sorted(set(tags)) != old_tags:
        changed = True
    if previous is not None and changed:
        dataset.version = previous.version + 1
    if dataset.is_published and dataset.published_at is None:
        dataset.published_at = timezone.now()
    dataset.save()
    if tags is not None:
        dataset.tags.set(sorted(set(tags)))
        index.insert_or_update_object(dataset)  # the index entry was written before the tags
    if previous is not None and previous.slug != dataset.slug and previous.is_published:
        ckan_services.ckan_outbox_enqueue(dataset=None, ckan_name=previous.slug, action="delete")
    if changed:
        _sync_ckan(dataset=dataset, was_published=bool(previous and previous.is_published))
    return dataset


def dataset_create(
    *,
    title: str,
    slug: str = "",
    description: str = "",
    publisher: str = "",
    licence: str = "",
    temporal_start: date | None = None,
    temporal_end: date | None = None,
    frequency: str = "irregular",
    theme: str = "GOVE",
    tags: list[str] | None = None,
    contact_name: str = "",
    contact_email: str = "",
    publish: bool = False,
) -> Dataset:
    dataset = Dataset(
        title=title,
        slug=slug or slugify(title)[:100],
        description=description,
        publisher=publisher,
        licence=licence or default_licence(),
        temporal_start=temporal_start,
        temporal_end=temporal_end,
        frequency=frequency,
        theme=theme,
        contact_name=contact_name,
        contact_email=contact_email,
        status=Dataset.Status.PUBLISHED if publish else Dataset.Status.DRAFT,
    )
    return dataset_save(dataset=dataset, tags=tags or [])


@transaction.atomic
def dataset_publish(*, dataset: Dataset) -> Dataset:
    dataset.status = Dataset.Status.PUBLISHED
    return dataset_save(dataset=dataset)


@transaction.atomic
def dataset_unpublish(*, dataset: Dataset) -> Dataset:
    dataset.status = Dataset.Status.DRAFT
    return dataset_save(dataset=dataset)


@transaction.atomic
def dataset_delete(*, dataset: Dataset) -> None:
    if dataset.is_published and not dataset.is_external:
        ckan_services.ckan_outbox_enqueue(dataset=None, ckan_name=dataset.slug, action="delete")
    dataset.delete()


def _sync_ckan(*, dataset: Dataset, was_published: bool) -> None:
    if dataset.is_external:
        return  # harvested from another portal: never pushed back
    if dataset.is_published:
        ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="push")
    elif was_published:
        ckan_services.ckan_outbox_enqueue(dataset=dataset, ckan_name=dataset.slug, action="delete")


@transaction.atomic
def dataset_touch(*, dataset: Dataset) -> Dataset:
    """A resource changed: new dataset version, refreshed search columns, CKAN push."""
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    dataset.version += 1
    names: list[str] = []
    for resource in dataset.resources.prefetch_related("versions"):
        latest = resource.latest_version()
        if latest is not None:
            names.extend(n for n in latest.column_names if n not in names)
    dataset.column_names = " ".join(names)
    dataset.save(update_fields=["version", "column_names", "updated_at"])
    _sync_ckan(dataset=dataset, was_published=dataset.is_published)
    return dataset


def resource_validate(*, resource: Resource) -> None:
    if not resource.slug:
        raise ValidationError({"slug": _("El recurso necesita un slug.")})
    clash = Resource.objects.filter(dataset_id=resource.dataset_id, slug=resource.slug).exclude(pk=resource.pk)
    if clash.exists():
        raise ValidationError({"slug": _("Este conjunto ya tiene un recurso con este slug.")})
    if resource.kind == Resource.Kind.URL and not resource.url:
        raise ValidationError({"url": _("Un recurso de tipo enlace necesita la dirección.")})
    if resource.url:
        try:
            validate_http_url(resource.url)
        except ValidationError as exc:
            raise ValidationError({"url": exc.messages}) from exc


@transaction.atomic
def resource_save(*, resource: Resource) -> Resource:
    resource_validate(resource=resource)
    resource.save()
    dataset_touch(dataset=resource.dataset)
    return resource


def resource_create(
    *,
    dataset: Dataset,
    slug: str,
    title: str = "",
    description: str = "",
    kind: str = Resource.Kind.FILE,
    url: str = "",
    url_format: str = "",
) -> Resource:
    sort_order = (dataset.resources.aggregate(m=Max("sort_order"))["m"] or 0) + 1
    resource = Resource(
        dataset=dataset,
        slug=slug,
        title=title,
        description=description,
        kind=kind,
        url=url,
        url_format=url_format,
        sort_order=sort_order,
    )
    return resource_save(resource=resource)


@transaction.atomic
def resource_delete(*, resource: Resource) -> None:
    dataset = resource.dataset
    resource.delete()
    dataset_touch(dataset=dataset)


def resource_upload_check(*, filename: str, data: bytes, sheet: str = "") -> Table:
    """Validate an upload without storing anything (the admin form calls this)."""
    return parse_upload(filename=filename, data=data, max_bytes=max_upload_bytes(), sheet=sheet)


@transaction.atomic
def resource_version_upload(
    *, resource: Resource, filename: str, data: bytes, sheet: str = "", user=None, table: Table | None = None
) -> ResourceVersion:
    """Store a new version of ``resource``; earlier versions are kept untouched.

    ``table``: the result of ``resource_upload_check`` on the same bytes, when the caller has it.
    """
    if table is None:
        table = resource_upload_check(filename=filename, data=data, sheet=sheet)
    if resource.kind != Resource.Kind.FILE:
        raise ValidationError(_("Este recurso es un enlace externo; no admite archivos."))
    Resource.objects.select_for_update().filter(pk=resource.pk).first()  # serialise version numbers
    number = (resource.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    canonical = exports.table_to_csv_bytes(table.columns, table.rows)
    version = ResourceVersion(
        resource=resource,
        number=number,
        source_name=filename[:255],
        source_format=table.source_format,
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=table.sheet,
        columns=table.described_columns(),
        row_count=table.row_count,
        byte_size=len(data),
        sha256=hashlib.sha256(canonical).hexdigest(),
        uploaded_by=user if getattr(user, "is_authenticated", False) else None,
    )
    safe_name = f"{resource.slug}.{table.source_format}"
    version.source_file.save(safe_name, ContentFile(data), save=False)
    version.table_file.save(f"{resource.slug}.table.csv", ContentFile(canonical), save=False)
    version.save()
    dataset_touch(dataset=resource.dataset)
    return version


def export_path(*, version: ResourceVersion, fmt: str) -> str:
    return exports.export_path(version=version, fmt=fmt)


def resource_version_export(*, version: ResourceVersion, fmt: str) -> str:
    """The path of ``version`` in ``fmt`` in ``file_storage()`` (see ``exports.version_export``)."""
    return exports.version_export(version=version, fmt=fmt)


@transaction.atomic
def published_dataset_refresh(*, slug: str) -> Dataset | None:
    """(Re)build the open dataset another app registered as ``slug`` (``ayni.published_tables``).

    The dataset is created once (published, weekly); a resource gets a new version
    only when its figures changed, so weekly runs without news add nothing.
    ``None`` when no installed app publishes ``slug``, or while it has no figures yet.
    """
    from ayni import published_tables

    published = published_tables.get(slug)
    if published is None:
        return None
    return generated_dataset_refresh(
        slug=published.slug,
        title=str(published.title),
        description=str(published.description),
        tags=list(published.tags),
        tables=published.tables(),
    )


def published_datasets_refresh() -> list[Dataset]:
    """(Re)build every dataset the installed apps publish (the weekly job); those with no figures yet wait."""
    from ayni import published_tables

    refreshed = (published_dataset_refresh(slug=published.slug) for published in published_tables.registered())
    return [dataset for dataset in refreshed if dataset is not None]


def aggregate_tables_store(*, dataset: Dataset, tables: dict[str, tuple[list[str], list[list]]]) -> Dataset:
    """Store each table as a resource of ``dataset`` (``{resource slug: (columns, rows)}``).

    A resource gets a new version only when its bytes changed, so running a weekly
    job twice adds nothing. A table without rows yet (a new municipality) is left
    for a later run: a file of headers only is not a dataset (``parse_upload`` refuses it).
    Used by the generated datasets (participation, the bot's figures).
    """
    for slug, (columns, rows) in tables.items():
        if not rows:
            continue
        data = exports.table_to_csv_bytes(columns, [["" if v is None else str(v) for v in row] for row in rows])
        resource = dataset.resources.filter(slug=slug).first() or resource_create(
            dataset=dataset, slug=slug, title=slug.replace("-", " ").capitalize()
        )
        latest = resource.versions.order_by("-number").first()
        if latest is not None and latest.sha256 == hashlib.sha256(data).hexdigest():
            continue
        resource_version_upload(resource=resource, filename=f"{slug}.csv", data=data)
    return Dataset.objects.get(pk=dataset.pk)


@transaction.atomic
def generated_dataset_refresh(
    *, slug: str, title: str, description: str, tags: list[str], tables: dict[str, tuple[list[str], list[list]]]
) -> Dataset | None:
    """Create (published, weekly, licence from the open-data settings) or update a generated dataset.

    The dataset is created once, at the first run with figures to publish (``None`` until
    then: no empty dataset is published); later runs only store changed tables
    (``aggregate_tables_store``).
    """
    dataset = Dataset.objects.select_for_update().filter(slug=slug).first()
    if dataset is None:
        if not any(rows for _columns, rows in tables.values()):
            return None
        dataset = dataset_create(
            title=title,
            slug=slug,
            description=description,
            publisher=site_contact().name,
            frequency="weekly",
            theme="GOVE",
            tags=tags,
            publish=True,
        )
    return aggregate_tables_store(dataset=dataset, tables=tables)
