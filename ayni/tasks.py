"""Background work of the core: thin wrappers over ayni's own functions."""

from django_tasks import task

from ayni import schedule


@task()
def stale_tasks_requeue() -> int:
    """Tasks a dead worker left running go back to the queue (``ayni.schedule.stale_tasks_requeue``)."""
    return schedule.stale_tasks_requeue()
