from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from opendata.ckan.client import CkanError
from opendata.ckan.harvest import ckan_harvest


class Command(BaseCommand):
    help = "Importa los conjuntos de un portal CKAN como conjuntos externos (metadatos y enlaces)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="Dirección del portal CKAN, p. ej. https://datos.gob.bo")
        parser.add_argument("--organization", default="", help="Solo los conjuntos de esta organización.")

    def handle(self, *args, url, organization="", **options):
        if not url.startswith(("http://", "https://")):
            raise CommandError("La dirección debe empezar con http:// o https://")
        try:
            with tqdm(unit="conj.", file=self.stderr, disable=options.get("verbosity", 1) == 0) as bar:
                report = ckan_harvest(url=url, organization=organization, progress=lambda package: bar.update(1))
        except CkanError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"{report.created} nuevos, {report.updated} actualizados, {report.skipped} omitidos.")
        for error in report.errors:
            self.stderr.write(error)
