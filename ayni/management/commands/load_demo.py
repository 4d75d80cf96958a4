from django.core.management.base import BaseCommand

from ayni.demo import demo_loaders


class Command(BaseCommand):
    help = "Crea el contenido del municipio de demostración (idempotente)."

    def handle(self, *args, **options):
        for _label, load in demo_loaders():
            load(report=lambda message: self.stdout.write(message))
