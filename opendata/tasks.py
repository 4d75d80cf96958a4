"""Background work of the open-data app (thin wrappers over services)."""

from __future__ import annotations

from django_tasks import task

from opendata.ckan.tasks import ckan_outbox_process_task

__all__ = ["ckan_outbox_process_task", "participation_dataset_task"]


@task()
def participation_dataset_task() -> dict:
    """Regenerate the participation dataset (weekly: registered in OpendataConfig.ready)."""
    from opendata.services import participation_dataset_refresh

    dataset = participation_dataset_refresh()
    return {"dataset": dataset.slug if dataset else None, "version": dataset.version if dataset else None}
