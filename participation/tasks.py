"""Background work of the participation app: thin wrappers over services."""

from django_tasks import task

from participation import notifications


@task()
def deliver_notification(*, channel: str, recipient: dict, message: dict) -> None:
    notifications.notification_deliver(channel=channel, recipient=recipient, message=message)
