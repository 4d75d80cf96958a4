from django.core.management import call_command
from django.core.management.base import BaseCommand

from search import selectors


class Command(BaseCommand):
    help = "Construye el índice de búsqueda si le faltan documentos (primer arranque o tipos nuevos)."

    def handle(self, *args, **options):
        if selectors.index_is_complete():
            return
        self.stdout.write("   Construyendo el índice de búsqueda…")
        call_command("update_index", verbosity=0)
