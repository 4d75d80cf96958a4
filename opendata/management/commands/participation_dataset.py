from django.core.management.base import BaseCommand

from opendata.services import participation_dataset_refresh
from opendata.tasks import participation_dataset_task


class Command(BaseCommand):
    help = (
        "Regenera el conjunto de datos de participación ciudadana (cifras agregadas). Con --schedule lo encola "
        "en el trabajador de tareas (que además lo repite solo cada semana: manage.py worker)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--schedule", action="store_true", help="Encolarla en lugar de ejecutarla.")

    def handle(self, *args, schedule=False, **options):
        if schedule:
            participation_dataset_task.enqueue()
            self.stdout.write("Tarea encolada.")
            return
        dataset = participation_dataset_refresh()
        if dataset is None:
            self.stdout.write("La participación ciudadana no está instalada; no hay nada que publicar.")
        else:
            self.stdout.write(f"{dataset.slug}: versión {dataset.version}.")
