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


@task()
def chat_figures_dataset() -> dict:
    """Publish the bot's weekly figures as an open dataset (weekly: registered in ChatbotConfig.ready).

    Idempotent: a week computed again replaces its rows, and unchanged tables make no new version.
    """
    from django.utils.translation import gettext as _
    from django.utils.translation import override

    from chatbot import selectors
    from opendata import selectors as opendata_selectors
    from opendata import services as opendata_services

    with override("es"):  # the dataset's metadata and guide titles in the portal's language
        previous = {
            slug: opendata_selectors.resource_rows(dataset_slug=selectors.FIGURES_DATASET_SLUG, resource_slug=slug)
            for slug in ("semanas", "guias-mas-consultadas")
        }
        dataset = opendata_services.generated_dataset_refresh(
            slug=selectors.FIGURES_DATASET_SLUG,
            title=_("Cifras del asistente virtual"),
            description=_(
                "Cifras semanales (semanas ISO, de lunes a domingo) del asistente virtual del portal, en el chat web, "
                "la API y WhatsApp: conversaciones (personas distintas), mensajes, porcentaje respondido, porcentaje "
                "derivado a la línea gratuita 800 (consultas no entendidas, ajenas a los trámites municipales o en las "
                "que se pidió hablar con una persona), porcentaje entendido por Rasa, por la comprensión integrada "
                "del portal o leído de un botón, mediana del tiempo de respuesta en milisegundos y las 10 guías más "
                "consultadas. Se actualiza cada semana. Solo cifras agregadas: no contiene mensajes ni datos de "
                "quienes escriben, y no se listan las guías consultadas menos de 5 veces en una semana."
            ),
            tags=["asistente virtual", "rendimiento del servicio"],
            tables=selectors.chat_figures_tables(previous=previous),
        )
    if dataset is None:  # nobody has written to the assistant yet
        return {"dataset": None, "version": None}
    return {"dataset": dataset.slug, "version": dataset.version}
