"""Creates the demo municipality's open datasets from datasets.yaml.

Idempotent: datasets, resources and versions that exist (matched by slug) are
left as they are; only what is missing is created. Run twice, same counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import yaml
from django.db import transaction

from opendata import exports, services
from opendata.models import Dataset

DATA_FILE = Path(__file__).resolve().parent / "datasets.yaml"

Report = Callable[[str], None]


def read_catalogue() -> list[dict]:
    with open(DATA_FILE, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["datasets"]


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _cell(value) -> str:
    return "" if value is None else str(value)


def resource_csv(data: dict) -> bytes:
    return exports.table_to_csv_bytes(
        [str(c) for c in data["columns"]], [[_cell(v) for v in row] for row in data["rows"]]
    )


@transaction.atomic
def load_demo(*, report: Report = lambda message: None) -> None:
    report("Cargando los datos abiertos de demostración…")
    catalogue = read_catalogue()
    created_datasets = created_versions = 0
    for data in catalogue:
        dataset = Dataset.objects.filter(slug=data["slug"]).first()
        if dataset is None:
            temporal = data.get("temporal") or {}
            dataset = services.dataset_create(
                title=data["title"],
                slug=data["slug"],
                description=data.get("description", ""),
                publisher=data.get("publisher", ""),
                licence=data.get("license", ""),  # else the portal's default licence
                temporal_start=_date(temporal.get("start")),
                temporal_end=_date(temporal.get("end")),
                frequency=data.get("frequency", "irregular"),
                theme=data.get("theme", "GOVE"),
                tags=data.get("tags", []),
                publish=True,
            )
            created_datasets += 1
        for item in data["resources"]:
            resource = dataset.resources.filter(slug=item["name"]).first()
            if resource is None:
                resource = services.resource_create(dataset=dataset, slug=item["name"], title=item["name"])
            if not resource.versions.exists():
                services.resource_version_upload(
                    resource=resource, filename=f"{item['name']}.csv", data=resource_csv(item)
                )
                created_versions += 1
    report(f"  conjuntos de datos: {len(catalogue)} ({created_datasets} nuevos, {created_versions} archivos cargados)")
