from django.core.management.base import BaseCommand

from opendata.services import published_datasets_refresh
from opendata.tasks import published_datasets_task


class Command(BaseCommand):
    help = (
        "Regenera los conjuntos de datos que publican las demás aplicaciones (las cifras agregadas de la "
        "participación ciudadana). Con --schedule lo encola en el trabajador de tareas (que además lo repite "
        "solo cada semana: manage.py worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="Encolarla en lugar de ejecutarla.")

    def handle(self, *args, schedule=False, **options):
        if schedule:
            published_datasets_task.enqueue()
            self.stdout.write("Tarea encolada.")
            return
        datasets = published_datasets_refresh()
        if not datasets:
            self.stdout.write("No hay cifras que publicar todavía (ninguna aplicación las publica o aún no hay datos).")
        for dataset in datasets:
            self.stdout.write(f"{dataset.slug}: versión {dataset.version}.")
