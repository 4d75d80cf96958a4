from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = _("Asistente virtual")

    def ready(self):
        from datetime import timedelta

        from ayni import schedule, warmup

        from . import tasks

        # Chat logs and WhatsApp ledgers are kept only for their retention periods.
        schedule.register("chatbot.purge", tasks.chat_log_purge, every=timedelta(hours=6))
        # The bot's weekly figures, published as an open dataset (GOV.UK Service Standard, point 10).
        schedule.register("chatbot.figures_dataset", tasks.chat_figures_dataset, every=timedelta(days=7))
        # The webhook only records deliveries: the worker splits them into messages at once.
        from .services import whatsapp_deliveries_process

        schedule.register_poll("chatbot.whatsapp_deliveries", whatsapp_deliveries_process, every=0.5)
        # Replies whose task a Redis queue lost (Redis restarted empty, or down when they were enqueued).
        from . import recovery

        schedule.register_poll(
            "chatbot.whatsapp_replies", recovery.whatsapp_replies_requeue, every=recovery.poll_every()
        )
        # A server or task worker process builds the guide index and reads the guides' facts before
        # its first message, instead of during it.
        from .services import answerer_warm

        warmup.register("chatbot.answerer", answerer_warm)

        # New guides, titles or aliases reach Rasa's training data and a model loaded in the background.
        from wagtail.signals import page_published, page_unpublished

        from cms.models import GuidePage

        from .services import rasa_retrain_request

        page_published.connect(rasa_retrain_request, sender=GuidePage, dispatch_uid="chatbot-retrain-published")
        page_unpublished.connect(rasa_retrain_request, sender=GuidePage, dispatch_uid="chatbot-retrain-unpublished")
