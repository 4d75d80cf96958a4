"""Background work of the open-data app (thin wrappers over services)."""

from __future__ import annotations

from django_tasks import task

from opendata.ckan.tasks import ckan_outbox_process_task

__all__ = ["ckan_outbox_process_task", "published_datasets_task"]


@task()
def published_datasets_task() -> dict:
    """Regenerate the datasets other apps publish (``ayni.published_tables``; weekly: OpendataConfig.ready).

    Returns ``{"datasets": {slug: version}}``.
    """
    from opendata.services import published_datasets_refresh

    return {"datasets": {dataset.slug: dataset.version for dataset in published_datasets_refresh()}}
