"""``manage.py update_index``: Wagtail's command, then the portal's search documents and vocabulary.

Overrides Wagtail's command of the same name (this app comes first in
INSTALLED_APPS), so one command rebuilds everything search needs.
"""

from wagtail.search.management.commands.update_index import Command as WagtailUpdateIndex

from search import services


class Command(WagtailUpdateIndex):
    help = "Reconstruye el índice de búsqueda, los documentos de búsqueda y el vocabulario del portal."

    def handle(self, **options):
        super().handle(**options)
        documents = services.search_documents_rebuild()
        if options.get("verbosity", 1):
            self.stdout.write(f"Documentos de búsqueda: {documents}; vocabulario reconstruido.")
