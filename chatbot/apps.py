from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    name = "chatbot"
    verbose_name = _("Asistente virtual")

    def ready(self):
        from datetime import timedelta

        from ayni import schedule

        from . import tasks

        # Chat logs and WhatsApp ledgers are kept only for their retention periods.
        schedule.register("chatbot.purge", tasks.chat_log_purge, every=timedelta(hours=6))
