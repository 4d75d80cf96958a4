"""Background work of the search app: thin wrappers over ``search.services``."""

from django.db import transaction
from django_tasks import task

from search import services


@task()
def page_search_refresh_task(page_id: int, descendants: bool = False) -> int:
    return services.page_search_refresh(page_id=page_id, descendants=descendants)


@task()
def object_search_refresh_task(model_label: str, object_id: str) -> bool:
    return services.object_search_refresh(model_label=model_label, object_id=object_id) is not None


@task()
def objects_search_remove_task(kinds: list[str], object_ids: list[str]) -> int:
    return services.objects_search_remove(kinds=kinds, object_ids=object_ids)


@task()
def search_documents_rebuild_task() -> int:
    return services.search_documents_rebuild()


@task()
def page_visits_add_task(page_id: int, count: int) -> None:
    services.page_visits_add(page_id=page_id, count=count)


@task()
def search_queries_add_task(entries: list[list]) -> None:
    services.search_queries_add(entries=entries)


@task()
def search_query_log_flush_task() -> int:
    return services.search_query_log_flush()


def enqueue_on_commit(task_function, **kwargs) -> None:
    """Enqueue once the current transaction commits, so the worker sees the saved rows."""
    transaction.on_commit(lambda: task_function.enqueue(**kwargs))
