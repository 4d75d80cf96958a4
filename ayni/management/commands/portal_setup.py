import hashlib
import os

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor


def _pending_migrations() -> int:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _static_fingerprint() -> str:
    """Names, sizes and times of every static source file."""
    digest = hashlib.sha256()
    for finder in get_finders():
        for path, storage in finder.list([]):
            info = os.stat(storage.path(path))
            digest.update(f"{path}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


class Command(BaseCommand):
    help = "Prepara el portal: migraciones, archivos estáticos, contenido de demostración y cuenta de administración."

    def add_arguments(self, parser):
        parser.add_argument("--no-demo", action="store_true", help="No cargar el contenido de demostración.")

    def handle(self, *args, no_demo=False, **options):
        pending = _pending_migrations()
        if pending:
            self.stdout.write(f"1/4 Aplicando {pending} migraciones…")
            call_command("migrate", interactive=False, verbosity=0)
        else:
            self.stdout.write("1/4 Base de datos al día.")
        stamp = settings.STATIC_ROOT / ".fingerprint"
        fingerprint = _static_fingerprint()
        if stamp.exists() and stamp.read_text() == fingerprint:
            self.stdout.write("2/4 Archivos estáticos al día.")
        else:
            self.stdout.write("2/4 Reuniendo archivos estáticos…")
            call_command("collectstatic", interactive=False, verbosity=0)
            stamp.write_text(fingerprint)
        if no_demo:
            self.stdout.write("3/4 Contenido de demostración omitido.")
        else:
            self.stdout.write("3/4 Contenido de demostración…")
            call_command("load_demo", stdout=self.stdout)
        # The search app builds its documents when they are missing (first start, or an upgrade
        # that added content types to search); later changes go through tasks.
        call_command("ensure_index", stdout=self.stdout)
        # Templates may have changed since the last start: no page or fragment cached before it is served.
        call_command("purge_page_cache", stdout=self.stdout, verbosity=0)
        self.stdout.write("4/4 Cuenta de administración…")
        call_command("ensure_admin", stdout=self.stdout)
