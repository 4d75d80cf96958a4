from django.core.management.base import BaseCommand

from chatbot.services import chat_log_purge, purge_expired


class Command(BaseCommand):
    help = (
        "Aplica los plazos de conservación del asistente: borra el registro de conversaciones "
        "(CHATBOT_LOG_RETENTION_DAYS) y el registro de WhatsApp (AYNI_WHATSAPP_LEDGER_RETENTION_DAYS), "
        "y borra los números de WhatsApp pasado AYNI_WHATSAPP_NUMBER_RETENTION_DAYS."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="Plazo del registro de conversaciones (días).")

    def handle(self, *args, days=None, **options):
        counts = {"chat_exchanges": chat_log_purge(days=days)} if days is not None else {}
        for name, value in purge_expired().items():
            counts[name] = counts.get(name, 0) + value
        self.stdout.write(f"Borrados: {counts['chat_exchanges']}.")
        for name, value in counts.items():
            self.stdout.write(f"  {name}: {value}")
