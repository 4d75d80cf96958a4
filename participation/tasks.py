"""Background work of the participation app: thin wrappers over services."""

from django_tasks import task


@task()
def personal_data_purge() -> int:
    from participation.services import complaint_personal_data_purge

    return complaint_personal_data_purge()


@task()
def complaint_due_reminders() -> int:
    from participation.services.notices import complaint_due_reminders_send

    return complaint_due_reminders_send()
