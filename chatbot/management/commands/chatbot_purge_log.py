from django.core.management.base import BaseCommand

from chatbot.services import chat_log_purge


class Command(BaseCommand):
    help = "Borra del registro de conversaciones lo que supera el plazo de conservación (CHATBOT_LOG_RETENTION_DAYS)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days=None, **options):
        deleted = chat_log_purge(days=days)
        self.stdout.write(f"Borrados: {deleted}.")
