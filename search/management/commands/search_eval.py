"""``manage.py search_eval FILE``: how often the portal search puts the expected guide first / in the top 3.

FILE is YAML: ``examples: [{q: "licencia discoteca", guide: licencia-funcionamiento-bares-discotecas}, ...]``
(chatbot/eval/search_large.yaml). Each query runs through the portal search restricted to guides,
exactly as the search box does; the expected guides must be live on this database.
"""

from dataclasses import dataclass

import yaml
from django.core.management.base import BaseCommand, CommandError

from cms.selectors import guide_titles
from search import selectors

TOP = 3


@dataclass
class Outcome:
    query: str
    expected: str
    got: list[str]
    position: int | None  # 1-based rank of the expected guide among all hits, None if absent

    @property
    def first(self) -> bool:
        return self.position == 1

    @property
    def in_top(self) -> bool:
        return self.position is not None and self.position <= TOP


def load_examples(path: str) -> list[dict]:
    """The ``examples`` of ``path``, each checked to have a query ``q`` and a ``guide`` slug."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except OSError as exc:
        raise CommandError(f"No se puede leer {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise CommandError(f"{path} no es un YAML válido: {exc}") from exc
    examples = data.get("examples") if isinstance(data, dict) else None
    if not examples:
        raise CommandError("El archivo no tiene ejemplos (se espera «examples: [{q: ..., guide: ...}]»).")
    for number, example in enumerate(examples, start=1):
        if not (
            isinstance(example, dict)
            and isinstance(example.get("q"), str)
            and example["q"].strip()
            and isinstance(example.get("guide"), str)
            and example["guide"].strip()
        ):
            raise CommandError(f"Ejemplo {number}: se esperan los campos «q» y «guide» con texto.")
    return examples


def evaluate(examples: list[dict]) -> list[Outcome]:
    outcomes = []
    for example in examples:
        query, expected = example["q"].strip(), example["guide"].strip()
        slugs = [hit.slug for hit in selectors.search(query=query, type_name="guide").hits]
        position = slugs.index(expected) + 1 if expected in slugs else None
        outcomes.append(Outcome(query=query, expected=expected, got=slugs[:TOP], position=position))
    return outcomes


class Command(BaseCommand):
    help = (
        "Evalúa la búsqueda del portal con un archivo YAML de consultas (examples: [{q, guide}]): "
        "informa en cuántas la guía esperada sale primera y entre las 3 primeras."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--show-errors",
            action="store_true",
            help="Lista las consultas cuya guía esperada no salió primera, con las 3 primeras obtenidas.",
        )

    def handle(self, *args, file, show_errors, **options):
        examples = load_examples(file)
        expected = {example["guide"].strip() for example in examples}
        missing = sorted(expected - set(guide_titles(slugs=expected)))
        if missing:
            raise CommandError(
                f"Guías esperadas que no están publicadas en esta base ({len(missing)}): {', '.join(missing)}"
            )
        outcomes = evaluate(examples)
        n = len(outcomes)
        first = sum(outcome.first for outcome in outcomes)
        top = sum(outcome.in_top for outcome in outcomes)
        self.stdout.write(f"Búsqueda de guías: {n} consultas sobre {len(expected)} guías")
        self.stdout.write(f"Guía correcta en primer lugar (top 1): {first / n:.1%} ({first}/{n})")
        self.stdout.write(f"Guía correcta entre las {TOP} primeras (top {TOP}): {top / n:.1%} ({top}/{n})")
        if show_errors:
            misses = [outcome for outcome in outcomes if not outcome.first]
            # Worst first: not found at all, then by how far down the expected guide came.
            misses.sort(key=lambda outcome: outcome.position or float("inf"), reverse=True)
            if misses:
                self.stdout.write("Consultas sin la guía correcta en primer lugar (las peores primero):")
            for outcome in misses:
                where = f"puesto {outcome.position}" if outcome.position else "no aparece"
                got = ", ".join(outcome.got) or "sin resultados"
                self.stdout.write(f"  ✗ {outcome.query!r}: esperada {outcome.expected} ({where}); obtenidas: {got}")
