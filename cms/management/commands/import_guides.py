from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from cms.importers import EXTENSIONS, ImportFileError, import_guides


class Command(BaseCommand):
    help = (
        "Importa guías de trámites desde un catálogo YAML, CSV o XLSX (idempotente por slug). "
        "Si alguna fila tiene errores no se importa nada."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="catálogo .yaml/.yml, .csv o .xlsx")
        parser.add_argument("--publish", action="store_true", help="publica las guías (si no, quedan en borrador)")
        parser.add_argument("--dry-run", action="store_true", help="valida y muestra qué cambiaría, sin guardar")

    def handle(self, *args, file, publish, dry_run, **options):
        path = Path(file)
        content = self._read(path, file)

        def progress(items):
            return tqdm(items, desc=_("Importando guías"), unit=_("guía"), file=self.stderr._out, leave=False)

        try:
            result = import_guides(path.name, content, publish=publish, dry_run=dry_run, progress=progress)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        self._report(result, dry_run=dry_run)
        if result.errors:
            raise CommandError(_("No se importó nada: corrige los errores y vuelve a intentarlo."))
        if dry_run:
            self.stdout.write(_("Simulación: no se guardó nada."))

    def _read(self, path: Path, file: str) -> bytes:
        if path.suffix.lower() not in EXTENSIONS:
            raise CommandError(_("Formato no admitido: sube un archivo YAML, CSV o XLSX."))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise CommandError(_("No se puede leer %(file)s: %(error)s") % {"file": file, "error": exc}) from exc

    def _report(self, result, *, dry_run: bool) -> None:
        """Warnings and errors on stderr; the planned changes (a dry run without errors) and the counts on stdout."""
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(_("Aviso: %s") % warning))
        for error in result.errors:
            self.stderr.write(self.style.ERROR(str(error)))
        if dry_run and not result.errors:
            for item in result.plan.items:
                changes = f" ({', '.join(item.changes)})" if item.changes else ""
                self.stdout.write(f"  {item.action_label}: {item.slug}{changes}")
        summary = _(
            "creadas: %(created)d · actualizadas: %(updated)d · sin cambios: %(unchanged)d · errores: %(errors)d"
        )
        self.stdout.write(
            summary
            % {
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "errors": len(result.errors),
            }
        )
