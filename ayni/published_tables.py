"""Open-data tables that apps publish: a registry in the core, read by the open-data app.

An app that has figures to publish (participation: complaints and proposals in
aggregate) registers a dataset in its ``AppConfig.ready()``, with a function
that returns its tables, and never imports the open-data app::

    published_tables.register(
        slug="participacion-ciudadana",
        title=_("..."), description=_("..."), tags=["..."],
        tables=open_data.participation_tables,  # () -> {resource slug: (columns, rows)}
    )

The open-data app's weekly job (``opendata.services.published_dataset_refresh``)
stores each registered dataset's tables as resources, a new version only when a
table changed. Siblings stay siblings: participation and opendata both depend on
this module, neither on the other (the layering in docs/DESIGN.md).

A table function returns aggregates only, never a code, a text or a person; it
applies the small-cell suppression itself (``AYNI_OPENDATA_MIN_CELL``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Tables = dict[str, tuple[list[str], list[list]]]


@dataclass(frozen=True)
class PublishedDataset:
    slug: str
    title: str  # lazy translations are fine: read when the dataset is created
    description: str
    tables: Callable[[], Tables]
    tags: list[str] = field(default_factory=list)


_REGISTRY: dict[str, PublishedDataset] = {}


def register(*, slug: str, title: str, description: str, tables: Callable[[], Tables], tags: list[str]) -> None:
    """Publish ``tables()`` as the open dataset ``slug`` (registering the same slug again replaces it)."""
    _REGISTRY[slug] = PublishedDataset(slug=slug, title=title, description=description, tables=tables, tags=tags)


def get(slug: str) -> PublishedDataset | None:
    return _REGISTRY.get(slug)


def registered() -> list[PublishedDataset]:
    """Every registered dataset, in the order of registration (INSTALLED_APPS order)."""
    return list(_REGISTRY.values())
