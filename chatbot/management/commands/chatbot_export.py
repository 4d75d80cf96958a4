from pathlib import Path

from django.core.management.base import BaseCommand

from chatbot import runtime
from chatbot.export import build_training_data
from chatbot.selectors import guide_catalogue


class Command(BaseCommand):
    help = (
        "Genera los datos de entrenamiento de Rasa (tabla de búsqueda, sinónimos y ejemplos) a partir de las "
        "guías publicadas, en el proyecto de entrenamiento de var/rasa-project (o en --output)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", default="", help="Escribe solo los datos de las guías en este archivo YAML.")

    def handle(self, *args, output, **options):
        guides = guide_catalogue()
        text = build_training_data(guides)
        if output:
            path = Path(output)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.stdout.write(self.style.SUCCESS(f"Escrito {path} ({len(guides)} guías)."))
            return
        changed = runtime.write_project(text)
        where = runtime.PROJECT
        if changed:
            self.stdout.write(
                self.style.SUCCESS(f"Proyecto de entrenamiento actualizado en {where} ({len(guides)} guías).")
            )
        else:
            self.stdout.write(f"Sin cambios: {where} ({len(guides)} guías).")
