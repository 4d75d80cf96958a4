from django.core.management.base import BaseCommand

from cms.demo.loader import load_demo
from opendata.demo.loader import load_demo as load_opendata_demo
from participation.demo.loader import load_demo as load_participation_demo


class Command(BaseCommand):
    help = "Crea el contenido del municipio de demostración (idempotente)."

    def handle(self, *args, **options):
        load_demo(report=lambda message: self.stdout.write(message))
        load_participation_demo(report=lambda message: self.stdout.write(message))
        load_opendata_demo(report=lambda message: self.stdout.write(message))
