"""Background work of the participation app: thin wrappers over services."""

from django_tasks import task

from participation import notifications


@task()
def personal_data_purge() -> int:
    from participation.services import complaint_personal_data_purge

    return complaint_personal_data_purge()


@task()
def deliver_notification(*, channel: str, recipient: dict, message: dict) -> None:
    notifications.notification_deliver(channel=channel, recipient=recipient, message=message)
