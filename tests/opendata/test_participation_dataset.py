"""Participation as open data: aggregated figures, never personal data."""

import datetime as dt

import pytest
from django.utils import timezone

from opendata import services
from opendata.models import Dataset, ResourceVersion, file_storage
from opendata.tasks import published_datasets_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def figures(django_user_model, settings):
    settings.AYNI_OPENDATA_MIN_CELL = 1  # exact figures; suppression has its own test
    from participation.models import Complaint, District, MunicipalUnit, Proposal, ProposalCategory

    unit, _ = MunicipalUnit.objects.get_or_create(slug="od-alumbrado", defaults={"name": "OD Alumbrado público"})
    district, _ = District.objects.get_or_create(slug="od-tacata", defaults={"name": "OD Tacata"})
    received = dt.date(2025, 3, 3)
    for i, (kind, status, days) in enumerate(
        [
            ("reclamo", "cerrado", 4),
            ("reclamo", "cerrado", 10),
            ("denuncia", "recibido", None),
            ("reclamo", "respondido", 6),
        ]
    ):
        Complaint.objects.create(
            code=f"OD-TEST-{i}",
            kind=kind,
            unit=unit,
            district=district,
            subject=f"Asunto privado {i}",
            description="Vivo en la calle Secreta 123",
            contact_email=f"vecina{i}@example.bo" if kind == "reclamo" else "",
            status=status,
            received_on=received,
            due_date=received + dt.timedelta(days=14),
            closed_at=timezone.make_aware(dt.datetime.combine(received + dt.timedelta(days=days), dt.time(12)))
            if days is not None
            else None,
        )
    author = django_user_model.objects.create_user("autora-od", "autora-od@example.bo", "x")
    category, _ = ProposalCategory.objects.get_or_create(slug="od-parques", defaults={"name": "OD Parques"})
    Proposal.objects.create(
        title="Propuesta de Juana", body="texto", category=category, author=author, district=district, support_count=7
    )
    return unit


def table(dataset, slug) -> list[list[str]]:
    version = dataset.resources.get(slug=slug).versions.order_by("-number").first()
    with file_storage().open(services.resource_version_export(version=version, fmt="csv"), "rb") as handle:
        return [line.split(",") for line in handle.read().decode("utf-8").splitlines()]


def test_participation_dataset_has_aggregates_only(figures):
    dataset = services.published_dataset_refresh(slug="participacion-ciudadana")
    assert dataset.slug == "participacion-ciudadana" and dataset.is_published and dataset.frequency == "weekly"
    unit_rows = {row[0]: row[1:] for row in table(dataset, "reclamos-por-unidad")}
    assert unit_rows["OD Alumbrado público"] == ["4", "3", "6"]  # median of 4, 6 and 10 days
    kinds = {(r[0], r[1]): r[2] for r in table(dataset, "reclamos-por-tipo-y-estado")[1:]}
    assert kinds[("reclamo", "cerrado")] == "2" and kinds[("denuncia", "recibido")] == "1"
    districts = {r[0]: r[1:] for r in table(dataset, "propuestas-por-distrito")[1:]}
    assert districts["OD Tacata"] == ["1", "7"]
    everything = " ".join(
        " ".join(",".join(row) for row in table(dataset, resource.slug)) for resource in dataset.resources.all()
    )
    for private in ("OD-TEST-", "Asunto privado", "Secreta 123", "@example.bo", "Juana", "autora-od"):
        assert private not in everything


def test_weekly_rerun_without_news_adds_no_version(figures):
    dataset = services.published_dataset_refresh(slug="participacion-ciudadana")
    versions = ResourceVersion.objects.filter(resource__dataset=dataset).count()
    services.published_dataset_refresh(slug="participacion-ciudadana")
    assert ResourceVersion.objects.filter(resource__dataset=dataset).count() == versions
    from participation.models import Complaint

    Complaint.objects.filter(code="OD-TEST-2").update(status="cerrado", closed_at=timezone.now())
    services.published_dataset_refresh(slug="participacion-ciudadana")
    assert ResourceVersion.objects.filter(resource__dataset=dataset).count() > versions
    assert dataset.resources.get(slug="reclamos-por-unidad").versions.count() == 2


def test_the_task_regenerates_it(figures):
    result = published_datasets_task.enqueue()
    assert list(result.return_value["datasets"]) == ["participacion-ciudadana"]
    assert Dataset.objects.get(slug="participacion-ciudadana").resources.count() == 7


def test_small_counts_are_suppressed_and_left_out_of_totals(figures, settings):
    settings.AYNI_OPENDATA_MIN_CELL = 3
    # A second unit with a single denuncia: its row must not single the person out.
    from participation.models import Complaint, MunicipalUnit

    lone = MunicipalUnit.objects.create(slug="od-lone", name="OD Unidad pequeña")
    Complaint.objects.create(
        code="OD-TEST-9",
        kind="denuncia",
        unit=lone,
        subject="Asunto",
        description="Descripción privada",
        anonymous=True,
        received_on=dt.date(2025, 3, 3),
        due_date=dt.date(2025, 3, 20),
    )
    dataset = services.published_dataset_refresh(slug="participacion-ciudadana")
    units = {row[0]: row[1:] for row in table(dataset, "reclamos-por-unidad")[1:]}
    assert units["OD Unidad pequeña"] == ["<3", "<3", ""]
    assert units["OD Alumbrado público"] == ["4", "3", "6"]
    kinds = {(r[0], r[1]): r[2] for r in table(dataset, "reclamos-por-tipo-y-estado")[1:]}
    assert kinds[("denuncia", "recibido")] == "<3" and kinds[("reclamo", "cerrado")] == "<3"
    summary = {r[0]: r[1] for r in table(dataset, "resumen")[1:]}
    # Only the shown cells are added up: no total minus shown cells gives a hidden one.
    shown = sum(int(v) for v in kinds.values() if not v.startswith("<"))
    assert summary["reclamos_y_denuncias_recibidos"] == str(shown)
    assert summary["umbral_de_celdas_pequenas"] == "3"
    districts = {r[0]: r[1:] for r in table(dataset, "propuestas-por-distrito")[1:]}
    assert districts["OD Tacata"] == ["<3", "<3"]  # one proposal: neither its count nor its supports


def test_participation_registers_its_dataset_with_the_core_registry():
    from ayni import published_tables

    published = published_tables.get("participacion-ciudadana")
    assert published is not None and "propuestas" in published.tags
    assert set(published.tables()) >= {"resumen", "reclamos-por-unidad", "propuestas-por-distrito"}


def test_the_command_refreshes_every_published_dataset(figures):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("published_datasets", stdout=out)
    assert "participacion-ciudadana: versión" in out.getvalue()
    assert Dataset.objects.get(slug="participacion-ciudadana").resources.count() == 7


def test_a_slug_no_app_publishes_gives_nothing():
    assert services.published_dataset_refresh(slug="nadie-publica-esto") is None
    assert not Dataset.objects.filter(slug="nadie-publica-esto").exists()


def test_a_generated_dataset_waits_for_its_first_figures():
    """A new municipality: the weekly job publishes no empty dataset, and stores no file of headers only."""
    tables = {"semanas": (["semana", "mensajes"], []), "temas": (["tema", "total"], [])}
    kwargs = {"slug": "cifras-nuevas", "title": "Cifras nuevas", "description": "Cifras de prueba.", "tags": []}
    assert services.generated_dataset_refresh(**kwargs, tables=tables) is None
    assert not Dataset.objects.filter(slug="cifras-nuevas").exists()

    tables["semanas"] = (["semana", "mensajes"], [["2025-W10", 12]])
    dataset = services.generated_dataset_refresh(**kwargs, tables=tables)
    assert [r.slug for r in dataset.resources.all()] == ["semanas"]  # the empty table waits
    assert services.generated_dataset_refresh(**kwargs, tables=tables).version == dataset.version  # nothing new
