"""Background work of the core: thin wrappers over ayni's own functions."""

from django_tasks import task

from ayni import notifications, schedule


@task()
def deliver_notification(*, channel: str, recipient: dict, message: dict) -> None:
    """One delivery of ``ayni.notifications.notify`` (one channel, one recipient)."""
    notifications.notification_deliver(channel=channel, recipient=recipient, message=message)


@task()
def stale_tasks_requeue() -> int:
    """Tasks a dead worker left running go back to the queue (``ayni.schedule.stale_tasks_requeue``)."""
    return schedule.stale_tasks_requeue()


@task()
def flush_notification_group(*, pk: int) -> int:
    """A group of changes is due: send it as one message (``ayni.notifications.notify_grouped``)."""
    return notifications.notification_group_flush(pk=pk)


@task()
def notification_groups_flush() -> int:
    """The periodic sweep: every due group goes out (``ayni.notifications.notification_groups_flush``)."""
    return notifications.notification_groups_flush()
