"""Reads of the open-data app. Views, the API, the search app and the bridge call these."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from taggit.models import Tag

from opendata import vocab
from opendata.models import Dataset, Resource, ResourceVersion

PREVIEW_ROWS = 50


def _published() -> QuerySet[Dataset]:
    return Dataset.objects.published().prefetch_related(
        "tags",
        Prefetch("resources", queryset=Resource.objects.prefetch_related("versions").order_by("sort_order", "pk")),
    )


def dataset_list(*, query: str = "", tag: str = "", theme: str = "", fmt: str = "") -> list[Dataset]:
    datasets = _published()
    if tag:
        datasets = datasets.filter(tags__slug=tag)
    if theme:
        datasets = datasets.filter(theme=theme)
    if fmt:
        datasets = datasets.filter(_format_filter(fmt))
    datasets = datasets.distinct()
    if query:
        ids = [d.pk for d in dataset_search(query=query)]
        ranking = {pk: i for i, pk in enumerate(ids)}
        return sorted(datasets.filter(pk__in=ids), key=lambda d: ranking[d.pk])
    return list(datasets.order_by("title"))


def _format_filter(fmt: str) -> Q:
    fmt = fmt.lower()
    if fmt in vocab.FORMATS:  # every tabular resource downloads in all three formats
        return Q(resources__kind=Resource.Kind.FILE, resources__versions__isnull=False) | Q(
            resources__kind=Resource.Kind.URL, resources__url_format__iexact=fmt
        )
    return Q(resources__kind=Resource.Kind.URL, resources__url_format__iexact=fmt)


def dataset_search(*, query: str):
    """Full-text search over published datasets (title, description, tags, columns)."""
    # A double quote would end the quoted term the SQLite (FTS5) backend builds
    # (a syntax error, so a 500); it means nothing to a search: drop it.
    query = " ".join(query.replace('"', " ").split())
    if not query:
        return Dataset.objects.none()
    return Dataset.objects.published().search(query)


def dataset_facets() -> dict:
    published = Dataset.objects.published()
    tags = (
        Tag.objects.filter(opendata_datasettag_items__content_object__in=published)
        .annotate(n=Count("opendata_datasettag_items"))
        .order_by("name")
    )
    present = set(published.order_by().values_list("theme", flat=True).distinct())  # one query, not one per theme
    themes = [(code, label) for code, label in vocab.THEME_CHOICES if code in present]
    formats = [fmt.label for fmt in vocab.FORMATS.values()]
    return {"tags": list(tags), "themes": themes, "formats": formats}


def dataset_get(*, slug: str, include_drafts: bool = False) -> Dataset | None:
    datasets = _published() if not include_drafts else Dataset.objects.all()
    return datasets.select_related("ckan").filter(slug=slug).first()


def dataset_get_visible(*, slug: str, user=None) -> Dataset | None:
    """The dataset ``user`` may see: a published one, or a draft for staff who manage datasets."""
    from opendata.rules import can_manage_datasets

    dataset = dataset_get(slug=slug)
    if dataset is None and can_manage_datasets(user):
        dataset = (
            Dataset.objects.prefetch_related(
                "tags",
                Prefetch(
                    "resources", queryset=Resource.objects.prefetch_related("versions").order_by("sort_order", "pk")
                ),
            )
            .select_related("ckan")
            .filter(slug=slug)
            .first()
        )
    return dataset


def version_for_download(
    *, slug: str, resource: str, number: int | None = None, user=None
) -> tuple[Dataset, Resource, ResourceVersion] | None:
    """The file version behind a download URL, if ``user`` may have it.

    Live means: the dataset is published (drafts only for staff who manage
    datasets), the resource is a file resource of that dataset and the version
    is one of its stored versions. ``None`` otherwise (the view answers 404).
    """
    dataset = dataset_get_visible(slug=slug, user=user)
    item = resource_get(dataset=dataset, slug=resource) if dataset else None
    if item is None or item.kind != Resource.Kind.FILE:
        return None
    version = version_get(resource=item, number=number)
    if version is None:
        return None
    return dataset, item, version


def resource_get(*, dataset: Dataset, slug: str) -> Resource | None:
    return next((r for r in dataset.resources.all() if r.slug == slug), None)


def version_get(*, resource: Resource, number: int | None = None) -> ResourceVersion | None:
    versions = sorted(resource.versions.all(), key=lambda v: v.number, reverse=True)
    if number is None:
        return versions[0] if versions else None
    return next((v for v in versions if v.number == number), None)


def resource_rows(*, dataset_slug: str, resource_slug: str) -> list[list[str]]:
    """Every row of the latest version of a resource (a generated dataset's previous figures); [] if none."""
    from opendata.exports import read_table

    resource = Resource.objects.filter(dataset__slug=dataset_slug, slug=resource_slug).first()
    version = version_get(resource=resource) if resource is not None else None
    if version is None:
        return []
    with version.table_file.open("rb") as handle:
        _columns, rows = read_table(handle)
        return [row for row in rows if any(row)]


def version_preview(*, version: ResourceVersion, limit: int = PREVIEW_ROWS) -> tuple[list[str], list[list[str]]]:
    from opendata.exports import read_table

    with version.table_file.open("rb") as handle:
        columns, rows = read_table(handle)
        preview = []
        for row in rows:
            preview.append(row)
            if len(preview) >= limit:
                break
    return columns, preview


def _looks_like_key(rows: list[list[str]], i: int) -> bool:
    """Row numbers or codes (1, 2, 3…) make no sense as bar lengths."""
    values = [row[i] for row in rows if i < len(row) and row[i]]
    try:
        numbers = [int(v) for v in values]
    except ValueError:
        return False
    return len(numbers) > 1 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


def chart_for(*, version: ResourceVersion, columns: list[str], rows: list[list[str]], bars: int = 12) -> dict | None:
    """A bar chart of the first numeric column against the first text column (or the row number)."""
    types = [c["type"] for c in version.columns]
    numeric = next(
        (i for i, t in enumerate(types) if t in ("integer", "number") and not _looks_like_key(rows, i)), None
    )
    if numeric is None:
        return None
    label = next((i for i, t in enumerate(types) if t == "string"), None)
    points = []
    for n, row in enumerate(rows[:bars], start=1):
        try:
            value = float(row[numeric])
        except (ValueError, IndexError):
            continue
        points.append({"label": row[label] if label is not None else str(n), "value": value})
    if not points:
        return None
    top = max(abs(p["value"]) for p in points) or 1
    for i, p in enumerate(points):
        p["width"] = round(abs(p["value"]) / top * 300, 1)  # bars start at x=200 of a 600-wide chart
        p["text_x"] = round(p["width"] + 206, 1)
        p["y"] = i * 24
    return {
        "height": len(points) * 24,
        "column": columns[numeric],
        "label_column": columns[label] if label is not None else "",
        "points": points,
        "truncated": len(rows) > bars,
    }


def ckan_status(*, dataset: Dataset) -> dict:
    """What the admin shows about a dataset in CKAN."""
    from opendata.ckan.client import ckan_enabled
    from opendata.models import CkanOutbox, CkanState

    state = CkanState.objects.filter(dataset=dataset).first() if dataset.pk else None
    pending = CkanOutbox.objects.filter(dataset=dataset, state=CkanOutbox.State.PENDING).count() if dataset.pk else 0
    return {"enabled": ckan_enabled(), "state": state, "pending": pending, "dataset": dataset}


def ckan_outbox_error_counts() -> dict[str, int]:
    """CKAN outbox entries with an error (the admin dashboard): ``failed`` (CKAN refused them; no more
    attempts) and ``retrying`` (a transient error; the worker tries again later)."""
    from opendata.models import CkanOutbox

    return CkanOutbox.objects.aggregate(
        failed=Count("pk", filter=Q(state=CkanOutbox.State.FAILED)),
        retrying=Count("pk", filter=Q(state=CkanOutbox.State.PENDING) & ~Q(last_error="")),
    )
