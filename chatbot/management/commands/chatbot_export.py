from pathlib import Path

from django.core.management.base import BaseCommand

from chatbot.export import build_training_data
from chatbot.selectors import guide_catalogue

DEFAULT = Path(__file__).resolve().parents[2] / "rasa" / "data" / "guides.yml"


class Command(BaseCommand):
    help = "Genera los datos de entrenamiento de Rasa (tabla de búsqueda, sinónimos y ejemplos) a partir de las guías."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(DEFAULT), help="Archivo YAML de salida.")

    def handle(self, *args, output, **options):
        guides = guide_catalogue()
        text = build_training_data(guides)
        path = Path(output)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            self.stdout.write(f"Sin cambios: {path} ({len(guides)} guías).")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Escrito {path} ({len(guides)} guías)."))
