from django.core.management.base import BaseCommand

from cms.cache import purge_page_cache


class Command(BaseCommand):
    help = (
        "Invalida las páginas y fragmentos en caché (tras un despliegue: plantillas nuevas). "
        "Lo ejecutan portal_setup y el paso migrate de docker-compose."
    )

    def handle(self, *args, **options):
        purge_page_cache()
        if options["verbosity"] > 0:
            self.stdout.write("Caché de páginas invalidada.")
