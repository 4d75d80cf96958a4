"""Uploads through the services: versions are kept, bad files store nothing, exports are safe."""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from opendata import services
from opendata.models import ResourceVersion
from tests.opendata.conftest import CSV_V2

pytestmark = pytest.mark.django_db


def read_export(version, fmt) -> bytes:
    from opendata.models import file_storage

    with file_storage().open(services.resource_version_export(version=version, fmt=fmt), "rb") as handle:
        return handle.read()


def test_first_upload_reads_the_table(version):
    assert version.number == 1
    assert version.row_count == 3
    assert version.columns == [
        {"name": "distrito", "type": "integer"},
        {"name": "nombre", "type": "string"},
        {"name": "monto", "type": "number"},
    ]
    assert version.encoding == "utf-8" and version.delimiter == ","
    version.resource.dataset.refresh_from_db()
    assert version.resource.dataset.column_names == "distrito nombre monto"


def test_new_upload_keeps_the_previous_version(version):
    resource = version.resource
    dataset_version = resource.dataset.__class__.objects.get(pk=resource.dataset_id).version
    v2 = services.resource_version_upload(resource=resource, filename="nueva.csv", data=CSV_V2)
    assert v2.number == 2 and v2.row_count == 4
    old = ResourceVersion.objects.get(pk=version.pk)
    assert old.row_count == 3 and old.sha256 == version.sha256
    assert read_export(old, "csv").decode().splitlines()[1] == "1,Tacata,1500.5"
    assert read_export(v2, "csv").decode().splitlines()[1] == "1,Tacata,1600"
    assert resource.dataset.__class__.objects.get(pk=resource.dataset_id).version == dataset_version + 1


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("vacio.csv", b"", "vacío"),
        ("roto.csv", b"a,b\n1,2,3\n", "La fila 2"),
        ("binario.csv", b"\x00\x01\x02\x03binary", "no es texto"),
        ("macro.xlsm", b"PK", "macros"),
    ],
)
def test_bad_upload_stores_nothing(resource, filename, data, message):
    before = ResourceVersion.objects.count()
    dataset_version = resource.dataset.__class__.objects.get(pk=resource.dataset_id).version
    with pytest.raises(ValidationError) as info:
        services.resource_version_upload(resource=resource, filename=filename, data=data)
    assert message in " ".join(info.value.messages)
    assert ResourceVersion.objects.count() == before
    assert resource.dataset.__class__.objects.get(pk=resource.dataset_id).version == dataset_version


def test_upload_over_the_configured_limit(resource, settings):
    settings.OPENDATA_MAX_UPLOAD_MB = 1
    with pytest.raises(ValidationError) as info:
        services.resource_version_upload(resource=resource, filename="grande.csv", data=b"a\n" + b"1\n" * 600_000)
    assert "máximo permitido es 1 MB" in info.value.messages[0]
    assert not resource.versions.exists()


def test_all_three_formats_come_from_the_same_table(version):
    rows_csv = list(csv.reader(io.StringIO(read_export(version, "csv").decode("utf-8"))))
    records = json.loads(read_export(version, "json"))
    sheet = load_workbook(io.BytesIO(read_export(version, "xlsx")), read_only=True).active
    rows_xlsx = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows_csv[0] == rows_xlsx[0] == list(records[0]) == ["distrito", "nombre", "monto"]
    assert records == [
        {"distrito": 1, "nombre": "Tacata", "monto": 1500.5},
        {"distrito": 2, "nombre": "Piñami", "monto": 2300.0},
        {"distrito": 3, "nombre": "Santo Domingo", "monto": -12.0},
    ]
    assert rows_xlsx[1:] == [[1, "Tacata", 1500.5], [2, "Piñami", 2300], [3, "Santo Domingo", -12]]
    assert rows_csv[1:] == [["1", "Tacata", "1500.5"], ["2", "Piñami", "2300"], ["3", "Santo Domingo", "-12"]]


def test_formula_cells_are_neutralised_in_csv_and_xlsx(resource):
    data = b"nombre,nota,n\n=cmd|' /C calc'!A0,@SUM(A1),-5\n+1+2,normal,7\n"
    version = services.resource_version_upload(resource=resource, filename="ataque.csv", data=data)
    rows_csv = list(csv.reader(io.StringIO(read_export(version, "csv").decode("utf-8"))))
    assert rows_csv[1] == ["'=cmd|' /C calc'!A0", "'@SUM(A1)", "-5"]
    assert rows_csv[2][0] == "'+1+2"
    workbook = load_workbook(io.BytesIO(read_export(version, "xlsx")))
    cell = workbook.active["A2"]
    assert cell.data_type == "s" and cell.value == "'=cmd|' /C calc'!A0"
    assert workbook.active["C2"].value == -5  # numbers stay numbers
    assert not any(c.data_type == "f" for row in workbook.active.iter_rows() for c in row)
    records = json.loads(read_export(version, "json"))
    assert records[0]["nombre"] == "=cmd|' /C calc'!A0"  # JSON keeps the value as uploaded


def test_xlsx_upload_with_chosen_sheet(resource):
    from tests.opendata.conftest import xlsx_bytes

    data = xlsx_bytes({"resumen": [["x"], [1]], "detalle": [["distrito", "monto"], [1, 10.5], [2, 20]]})
    with pytest.raises(ValidationError):
        services.resource_version_upload(resource=resource, filename="libro.xlsx", data=data)
    version = services.resource_version_upload(resource=resource, filename="libro.xlsx", data=data, sheet="detalle")
    assert version.sheet == "detalle" and version.source_format == "xlsx" and version.row_count == 2
    assert read_export(version, "csv").decode().splitlines() == ["distrito,monto", "1,10.5", "2,20"]


def test_latin1_upload_is_stored_as_utf8(resource):
    version = services.resource_version_upload(
        resource=resource, filename="latin.csv", data="año;señal\n2020;sí\n".encode("latin-1")
    )
    assert version.encoding == "latin-1" and version.delimiter == ";"
    assert read_export(version, "csv").decode("utf-8").splitlines() == ["año,señal", "2020,sí"]


def test_dataset_validation_messages(dataset):
    dataset.temporal_start, dataset.temporal_end = (
        dataset.updated_at.date(),
        dataset.updated_at.date().replace(year=2000),
    )
    with pytest.raises(ValidationError) as info:
        services.dataset_save(dataset=dataset)
    assert "termina antes de empezar" in str(info.value)
    with pytest.raises(ValidationError):
        services.dataset_create(title="Otro", slug=dataset.slug)


def test_saving_without_changes_keeps_the_version(dataset):
    before = dataset.version
    services.dataset_save(dataset=dataset, tags=["distritos", "impuestos"])
    assert dataset.version == before
    dataset.title = "Recaudación municipal por distrito"
    services.dataset_save(dataset=dataset)
    assert dataset.version == before + 1
