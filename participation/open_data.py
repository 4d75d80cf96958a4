"""What participation publishes as open data: its figures in aggregate, never a code, a text or a person.

Registered in ``ParticipationConfig.ready()`` with the core's registry
(``ayni.published_tables``); the open-data app's weekly job stores the tables
as the resources of the dataset ``participacion-ciudadana`` (a new version only
when a table changed). Participation does not import the open-data app, nor
the open-data app participation's models.
"""

from __future__ import annotations

import statistics

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ayni import published_tables
from ayni.published_tables import Tables
from participation.models import Complaint, Proposal

DATASET_SLUG = "participacion-ciudadana"


def register() -> None:
    """Publish the participation dataset (called from ``ParticipationConfig.ready``)."""
    published_tables.register(
        slug=DATASET_SLUG,
        title=_("Participación ciudadana: reclamos, denuncias y propuestas en cifras"),
        description=_(
            "Cifras agregadas de los reclamos, denuncias y sugerencias (por estado, tipo, unidad y distrito, "
            "con la mediana de días para responder) y de las propuestas ciudadanas (por estado, categoría y "
            "distrito). Se regenera cada semana. No contiene datos personales: las cifras menores que el umbral "
            "(5 por defecto) se muestran como «<5» y no se suman en los totales."
        ),
        tags=["participación ciudadana", "reclamos", "propuestas"],
        tables=participation_tables,
    )


def participation_tables() -> Tables:
    """Aggregated complaint and proposal figures; never a code, a text or a person."""
    none = "(sin dato)"

    complaints = list(
        Complaint.objects.values_list("kind", "status", "unit__name", "district__name", "received_on", "closed_at")
    )
    days_by_unit: dict[str, list[int]] = {}
    counts_kind_status: dict[tuple[str, str], int] = {}
    counts_unit: dict[str, list[int]] = {}
    counts_district: dict[str, int] = {}
    all_days: list[int] = []
    for kind, status, unit, district, received_on, closed_at in complaints:
        counts_kind_status[(kind, status)] = counts_kind_status.get((kind, status), 0) + 1
        total_closed = counts_unit.setdefault(unit or none, [0, 0])
        total_closed[0] += 1
        counts_district[district or none] = counts_district.get(district or none, 0) + 1
        if closed_at is not None and received_on is not None:
            days = max((timezone.localdate(closed_at) - received_on).days, 0)
            total_closed[1] += 1
            days_by_unit.setdefault(unit or none, []).append(days)
            all_days.append(days)

    k = settings.AYNI_OPENDATA_MIN_CELL
    small = f"<{k}"

    def cell(n: int):
        """A count, or "<k" when it is small enough to single someone out."""
        return small if 0 < n < k else n

    def shown(n: int) -> int:
        """What a count adds to a published total: nothing when its cell is suppressed."""
        return 0 if 0 < n < k else n

    def median(values: list[int]):
        # The median of a handful of cases is close to one person's case.
        return statistics.median(values) if len(values) >= k and values else ""

    proposals = list(
        Proposal.objects.visible().values_list("status", "category__name", "district__name", "support_count")
    )
    by_status: dict[str, int] = {}
    by_district: dict[str, list[int]] = {}
    by_category: dict[str, int] = {}
    for status, category, district, supports in proposals:
        by_status[status] = by_status.get(status, 0) + 1
        by_category[category or none] = by_category.get(category or none, 0) + 1
        row = by_district.setdefault(district or none, [0, 0])
        row[0] += 1
        row[1] += supports or 0

    # Totals add up only the cells that are shown in their main breakdown, so a
    # total minus the shown cells never gives back a suppressed one.
    received = sum(shown(n) for n in counts_kind_status.values())
    closed_shown = [d for u, days in days_by_unit.items() if shown(len(days)) for d in days]
    return {
        "resumen": (
            ["indicador", "valor"],
            [
                ["reclamos_y_denuncias_recibidos", received],
                ["reclamos_y_denuncias_cerrados", len(closed_shown)],
                ["mediana_dias_para_responder", median(closed_shown)],
                ["propuestas_publicadas", sum(shown(n) for n in by_status.values())],
                ["umbral_de_celdas_pequenas", k],
            ],
        ),
        "reclamos-por-tipo-y-estado": (
            ["tipo", "estado", "cantidad"],
            [[kind, status, cell(n)] for (kind, status), n in sorted(counts_kind_status.items())],
        ),
        "reclamos-por-unidad": (
            ["unidad", "recibidos", "cerrados", "mediana_dias_para_responder"],
            [
                [u, cell(t), cell(c) if shown(t) else small, median(days_by_unit.get(u, [])) if shown(t) else ""]
                for u, (t, c) in sorted(counts_unit.items())
            ],
        ),
        "reclamos-por-distrito": (["distrito", "cantidad"], [[d, cell(n)] for d, n in sorted(counts_district.items())]),
        "propuestas-por-estado": (["estado", "cantidad"], [[st, cell(n)] for st, n in sorted(by_status.items())]),
        "propuestas-por-categoria": (["categoria", "cantidad"], [[c, cell(n)] for c, n in sorted(by_category.items())]),
        "propuestas-por-distrito": (
            ["distrito", "cantidad", "apoyos"],
            # Supports are people too: a district with few proposals shows neither figure.
            [[d, cell(n), s if shown(n) else small] for d, (n, s) in sorted(by_district.items())],
        ),
    }
