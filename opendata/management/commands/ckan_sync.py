from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from opendata.ckan.client import ckan_enabled
from opendata.ckan.services import ckan_sync
from opendata.models import CkanOutbox, Dataset


class Command(BaseCommand):
    help = (
        "Sincroniza los conjuntos de datos con CKAN. Sin --all envía los cambios pendientes; con --all revisa "
        "todos. Solo se envía lo que cambió desde la última sincronización correcta (huella del contenido)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", dest="all_datasets", help="Revisar todos los conjuntos.")
        parser.add_argument("--dry-run", action="store_true", help="Mostrar qué se enviaría, sin enviar nada.")

    def handle(self, *args, all_datasets=False, dry_run=False, **options):
        if not ckan_enabled():
            raise CommandError(
                "El puente con CKAN está desactivado: configure CKAN_URL, CKAN_API_TOKEN y CKAN_ORGANIZATION."
            )
        if all_datasets:
            total = Dataset.objects.filter(is_external=False).count()
        else:
            total = CkanOutbox.objects.filter(state=CkanOutbox.State.PENDING).count()
        with tqdm(total=total, unit="conj.", file=self.stderr, disable=options.get("verbosity", 1) == 0) as bar:
            report = ckan_sync(all_datasets=all_datasets, dry_run=dry_run, progress=lambda item: bar.update(1))
        verb = "se enviarían" if dry_run else "enviados"
        self.stdout.write(
            f"{report.sent} {verb}, {report.done - report.sent if not dry_run else total - report.sent} sin cambios, "
            f"{report.retried} para reintentar, {report.failed} con error."
        )
        for error in report.errors:
            self.stderr.write(error)
        if report.failed:
            raise CommandError(f"{report.failed} conjuntos no se pudieron sincronizar.")
