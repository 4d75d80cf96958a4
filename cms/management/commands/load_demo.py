from django.core.management.base import BaseCommand

from cms.demo.loader import load_demo


class Command(BaseCommand):
    help = "Crea el contenido del municipio de demostración (idempotente)."

    def handle(self, *args, **options):
        load_demo(report=lambda message: self.stdout.write(message))
