"""Background work of the chatbot: thin wrappers over services."""

from django_tasks import task

from chatbot import services


@task()
def whatsapp_reply(message_pk: int) -> str:
    """Answer one WhatsApp message; when Meta could not be reached it enqueues itself again, deferred."""
    return services.whatsapp_message_reply(message_pk=message_pk)


@task()
def whatsapp_deliveries() -> dict:
    """Split the recorded webhook deliveries into messages (their replies are enqueued) and statuses."""
    return services.whatsapp_deliveries_process()


@task()
def chat_log_purge() -> dict:
    """Every retention rule of the chatbot (conversation log, WhatsApp ledger and numbers)."""
    return services.purge_expired()


@task()
def rasa_retrain() -> str:
    """Retrain the NLU model after guides changed and load it into the running Rasa."""
    return services.rasa_retrain()
