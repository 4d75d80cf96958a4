"""CSV, JSON and XLSX made from one parsed table (the canonical UTF-8 CSV).

Spreadsheet programs execute cells that start with ``= + - @`` (or a tab or
carriage return), e.g. ``=cmd|' /C calc'!A0``. CSV and XLSX exports prefix
such text cells with an apostrophe; JSON keeps the values as uploaded.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from opendata.models import ResourceVersion, file_storage
from opendata.parsing import typed_value

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str, kind: str = "string") -> str:
    """Make a cell inert in spreadsheets; numbers (e.g. ``-5``) stay numbers."""
    if value and value.startswith(FORMULA_PREFIXES) and kind not in ("integer", "number"):
        return "'" + value
    return value


def table_to_csv_bytes(columns: list[str], rows: list[list[str]]) -> bytes:
    """The canonical stored form: UTF-8 CSV, comma-separated, raw values."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def read_table(handle) -> tuple[list[str], Iterator[list[str]]]:
    """Columns and a row iterator over a canonical CSV (binary file object)."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    reader = csv.reader(text)
    columns = next(reader, [])
    return columns, reader


def write_csv(handle, columns: list[str], types: list[str], rows) -> None:
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow([neutralise(name) for name in columns])
    for row in rows:
        writer.writerow([neutralise(value, kind) for value, kind in zip(row, types, strict=False)])
    text.flush()
    text.detach()


def write_json(handle, columns: list[str], types: list[str], rows) -> None:
    handle.write(b"[")
    for i, row in enumerate(rows):
        record = {name: typed_value(value, kind) for name, kind, value in zip(columns, types, row, strict=False)}
        handle.write((b",\n" if i else b"\n") + json.dumps(record, ensure_ascii=False).encode("utf-8"))
    handle.write(b"\n]\n")


def write_xlsx(handle, columns: list[str], types: list[str], rows, *, title: str = "datos") -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))

    def text_cell(value: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        cell.data_type = "s"  # never a formula, whatever the text looks like
        return cell

    sheet.append([text_cell(name) for name in columns])
    for row in rows:
        cells = []
        for value, kind in zip(row, types, strict=False):
            typed = typed_value(value, kind) if kind in ("integer", "number", "boolean") else None
            cells.append(typed if typed is not None else text_cell(value))
        sheet.append(cells)
    workbook.save(handle)


def _sheet_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch not in "[]:*?/\\")[:31]
    return cleaned or "datos"


WRITERS = {"csv": write_csv, "json": write_json, "xlsx": write_xlsx}


def export_path(*, version: ResourceVersion, fmt: str) -> str:
    # Keyed by the table's hash too: a reused primary key can never serve another table.
    return f"opendata/exports/{version.pk}-{version.sha256[:16]}/{version.resource.slug}-v{version.number}.{fmt}"


def version_export(*, version: ResourceVersion, fmt: str) -> str:
    """The path of ``version`` in ``fmt`` in ``file_storage()``, written on first request (versions never change).

    Exports live in the private dataset storage, like the uploads: only the
    download view (which checks publication) hands them out. Files only, no
    database query when ``version.resource`` is already loaded: the CKAN bridge
    calls this from its sending threads.
    """
    if fmt not in WRITERS:
        raise ValidationError(_("Formato de descarga no disponible."))
    storage = file_storage()
    path = export_path(version=version, fmt=fmt)
    if storage.exists(path):
        return path
    types = [column["type"] for column in version.columns]
    output = io.BytesIO()
    with version.table_file.open("rb") as handle:
        columns, rows = read_table(handle)
        if fmt == "xlsx":
            write_xlsx(output, columns, types, rows, title=version.resource.slug)
        else:
            WRITERS[fmt](output, columns, types, rows)
    if not storage.exists(path):  # a concurrent request may have written it
        storage.save(path, ContentFile(output.getvalue()))
    return path
