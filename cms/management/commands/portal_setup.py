from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepara el portal: migraciones, archivos estáticos, contenido de demostración y cuenta de administración."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="No cargar el contenido de demostración.")

    def handle(self, *args, no_demo=False, **options):
        self.stdout.write("1/4 Aplicando migraciones…")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("2/4 Reuniendo archivos estáticos…")
        call_command("collectstatic", interactive=False, verbosity=0)
        if no_demo:
            self.stdout.write("3/4 Contenido de demostración omitido.")
        else:
            self.stdout.write("3/4 Contenido de demostración…")
            call_command("load_demo", stdout=self.stdout)
        self.stdout.write("4/4 Cuenta de administración…")
        call_command("ensure_admin", stdout=self.stdout)
