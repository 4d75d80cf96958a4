"""Reading uploaded tables: validation, encoding, delimiter, header, types.

Everything here is pure (bytes in, a ``Table`` or a ``ValidationError`` with
a Spanish message out), so the admin, the demo loader and the tests share it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_EXTENSIONS = ("csv", "json", "xlsx")
DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024

_INT = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Bolivian (and Spanish) notation: "." groups thousands, "," marks decimals: 1.234,56 · -12,5 · 1.500
_BO_NUMBER = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_BO_AMBIGUOUS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})?$")  # 1.500: 1500 here, 1.5 in plain notation
BOLIVIAN_NOTATION = "1.234,56"
_C1_CONTROLS = re.compile("[\x80-\x9f]")


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    types: list[str] = field(default_factory=list)
    source_format: str = "csv"
    encoding: str = ""
    delimiter: str = ""
    sheet: str = ""
    # Columns whose numbers were written the Bolivian way (index -> notation), stored as plain numbers.
    notations: dict[int, str] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def described_columns(self) -> list[dict]:
        described = []
        for i, (name, kind) in enumerate(zip(self.columns, self.types, strict=True)):
            column = {"name": name, "type": kind}
            if i in self.notations:
                column["notation"] = self.notations[i]
            described.append(column)
        return described


def extension_of(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def parse_upload(*, filename: str, data: bytes, max_bytes: int, sheet: str = "") -> Table:
    """Validate and read an uploaded CSV, JSON or XLSX file into a ``Table``."""
    ext = extension_of(filename)
    if ext in ("xlsm", "xltm", "xlsb"):
        raise ValidationError(
            _("Los libros de Excel con macros (.xlsm) no se aceptan. Guárdelo como .xlsx sin macros.")
        )
    if ext not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("Formato no admitido (.%(ext)s). Suba un archivo CSV, JSON o XLSX.") % {"ext": ext or "?"}
        )
    if len(data) > max_bytes:
        raise ValidationError(
            _("El archivo pesa %(size).1f MB y el máximo permitido es %(max).0f MB.")
            % {"size": len(data) / 1_048_576, "max": max_bytes / 1_048_576}
        )
    if not data.strip():
        raise ValidationError(_("El archivo está vacío."))
    if ext == "xlsx":
        table = _read_xlsx(data, sheet=sheet)
    else:
        text, encoding = _decode(data)
        table = _read_json(text) if ext == "json" else _read_csv(text)
        table.encoding = encoding
    _check_header(table.columns)
    if not table.rows:
        raise ValidationError(_("El archivo solo tiene la fila de encabezados; no tiene datos."))
    table.types = infer_types(table.columns, table.rows)
    read_bolivian_numbers(table)
    return table


# --- text files ---------------------------------------------------------------


def _decode(data: bytes) -> tuple[str, str]:
    head = data[:SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(head):
            raise ValidationError(
                _("La codificación del archivo (UTF-16) no se admite. Guárdelo como CSV UTF-8 o Latin-1.")
            )
        raise ValidationError(_("El archivo no es texto: parece un archivo binario con otra extensión."))
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    if _C1_CONTROLS.search(text):
        raise ValidationError(
            _(
                "No se pudo reconocer la codificación del archivo: no es UTF-8 ni Latin-1 (ISO-8859-1). "
                "Guárdelo como CSV UTF-8."
            )
        )
    return text, "latin-1"


def _looks_utf16(head: bytes) -> bool:
    sample = head[:2000]
    return len(sample) > 3 and sample.count(b"\x00") >= len(sample) // 3


def _read_csv(text: str) -> Table:
    delimiter = _sniff_delimiter(text[:SNIFF_BYTES])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # blank lines carry no data
            rows.append(record)
    except csv.Error as exc:
        raise ValidationError(
            _("El CSV está mal formado cerca de la línea %(line)d (%(error)s).")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    if not rows:
        raise ValidationError(_("El archivo está vacío."))
    header, body = [cell.strip() for cell in rows[0]], rows[1:]
    width = len(header)
    for number, record in enumerate(body, start=2):
        if len(record) != width:
            raise ValidationError(
                _(
                    "La fila %(row)d tiene %(found)d columnas y el encabezado tiene %(expected)d. "
                    "Revise el separador y las comillas."
                )
                % {"row": number, "found": len(record), "expected": width}
            )
    return Table(columns=header, rows=body, source_format="csv", delimiter=delimiter)


def _sniff_delimiter(sample: str) -> str:
    first_lines = "\n".join(sample.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(first_lines, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def _read_json(text: str) -> Table:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            _("El JSON no es válido (línea %(line)d, columna %(col)d).") % {"line": exc.lineno, "col": exc.colno}
        ) from exc
    if isinstance(payload, dict):
        payload = next((value for value in payload.values() if isinstance(value, list)), None)
    if not isinstance(payload, list) or not payload:
        raise ValidationError(_("El JSON debe ser una lista de objetos (una fila por objeto) y no puede estar vacío."))
    columns: list[str] = []
    for number, item in enumerate(payload, start=1):
        if not isinstance(item, dict):
            raise ValidationError(_("El elemento %(n)d del JSON no es un objeto.") % {"n": number})
        for key, value in item.items():
            if isinstance(value, dict | list):
                raise ValidationError(
                    _("El campo «%(key)s» del elemento %(n)d no es un valor simple (texto, número o fecha).")
                    % {"key": key, "n": number}
                )
            if key not in columns:
                columns.append(key)
    rows = [[_text(item.get(column)) for column in columns] for item in payload]
    return Table(columns=[str(c).strip() for c in columns], rows=rows, source_format="json", encoding="utf-8")


# --- spreadsheets ----------------------------------------------------------------


def xlsx_sheet_names(data: bytes) -> list[str]:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _read_xlsx(data: bytes, *, sheet: str) -> Table:
    from openpyxl import load_workbook

    _check_xlsx_archive(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for broken files
        raise ValidationError(_("El archivo no es un libro XLSX válido.")) from exc
    try:
        chosen = _chosen_sheet(workbook.sheetnames, sheet)
        records = [
            [_text(value) for value in record]
            for record in workbook[chosen].iter_rows(values_only=True)
            if any(value not in (None, "") for value in record)
        ]
    finally:
        workbook.close()
    if not records:
        raise ValidationError(_("La hoja «%(sheet)s» está vacía.") % {"sheet": chosen})
    header, rows = _fit_to_header(records)
    return Table(columns=header, rows=rows, source_format="xlsx", sheet=chosen)


def _check_xlsx_archive(data: bytes) -> None:
    """A ZIP archive without macros."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise ValidationError(_("El archivo no es un libro XLSX válido.")) from exc
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise ValidationError(_("El libro contiene macros. Guárdelo como .xlsx sin macros."))


def _chosen_sheet(sheets: list[str], sheet: str) -> str:
    """The sheet asked for, or the only one."""
    if sheet:
        if sheet not in sheets:
            raise ValidationError(
                _("El libro no tiene la hoja «%(sheet)s». Hojas: %(sheets)s.")
                % {"sheet": sheet, "sheets": ", ".join(sheets)}
            )
    elif len(sheets) > 1:
        raise ValidationError(
            _("El libro tiene varias hojas (%(sheets)s). Indique cuál publicar.") % {"sheets": ", ".join(sheets)}
        )
    return sheet or sheets[0]


def _fit_to_header(records: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """The header (trailing blank cells dropped) and the rows cut or padded to its width."""
    header = [cell.strip() for cell in records[0]]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    for number, record in enumerate(records[1:], start=2):
        if any(cell for cell in record[width:]):
            raise ValidationError(
                _("La fila %(row)d tiene datos fuera de las columnas del encabezado.") % {"row": number}
            )
    rows = [(record + [""] * width)[:width] for record in records[1:]]
    return header, rows


# --- shared ------------------------------------------------------------------------


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _check_header(columns: list[str]) -> None:
    if not columns or not any(columns):
        raise ValidationError(_("El archivo no tiene fila de encabezados."))
    blanks = [str(i) for i, name in enumerate(columns, start=1) if not name]
    if blanks:
        raise ValidationError(
            _("La fila de encabezados tiene columnas sin nombre (columna %(cols)s).") % {"cols": ", ".join(blanks)}
        )
    seen: set[str] = set()
    for name in columns:
        if name.lower() in seen:
            raise ValidationError(_("La columna «%(name)s» está repetida en el encabezado.") % {"name": name})
        seen.add(name.lower())


def infer_types(columns: list[str], rows: Iterable[list[str]]) -> list[str]:
    """``integer``, ``number``, ``boolean``, ``date`` or ``string`` per column (blanks ignored)."""
    candidates = [set(_KINDS) for _ in columns]
    for row in rows:
        for i, raw in enumerate(row):
            value = raw.strip()
            if value and candidates[i]:
                _narrow_kinds(candidates[i], value)
    return [next((kind for kind in _KINDS if kind in kinds), "string") for kinds in candidates]


_KINDS = ("integer", "number", "boolean", "date")  # the first one a column's values all fit is its type


def _narrow_kinds(kinds: set[str], value: str) -> None:
    """Drop from ``kinds`` the types a (non-blank) value does not fit."""
    if "integer" in kinds and not _INT.match(value):
        kinds.discard("integer")
    if "number" in kinds and not _NUMBER.match(value):
        kinds.discard("number")
    if "boolean" in kinds and value.lower() not in ("true", "false"):
        kinds.discard("boolean")
    if "date" in kinds and not _DATE.match(value):
        kinds.discard("date")


def bolivian_column(values: list[str], *, semicolon_csv: bool = False) -> bool:
    """Whether a column's (non-blank) values are numbers written the Bolivian way.

    Every value must fit ``1.234,56``, and one must prove it: a decimal comma or several
    thousands groups (``1.234.567``). Values such as ``1.500`` alone fit both notations: they
    are read as thousands only in a CSV separated by ``;`` (what a spreadsheet set to Spanish
    exports), else as plain decimals, as before.
    """
    values = [value.strip() for value in values if value.strip()]
    if not values or not all(_BO_NUMBER.match(value) for value in values):
        return False
    if any(not _NUMBER.match(value) for value in values):  # a comma, or 1.234.567
        return True
    return semicolon_csv and all(_BO_AMBIGUOUS.match(v) for v in values) and any("." in v for v in values)


def bolivian_to_plain(value: str) -> str:
    """``-1.234,56`` -> ``-1234.56`` (blank stays blank)."""
    value = value.strip()
    return value.replace(".", "").replace(",", ".") if value else value


def read_bolivian_numbers(table: Table) -> None:
    """Detect the columns written the Bolivian way, store their values as plain numbers, type them."""
    semicolon_csv = table.source_format == "csv" and table.delimiter == ";"
    for i, kind in enumerate(table.types):
        if kind not in ("string", "number"):
            continue
        if not bolivian_column([row[i] for row in table.rows], semicolon_csv=semicolon_csv):
            continue
        for row in table.rows:
            row[i] = bolivian_to_plain(row[i])
        table.notations[i] = BOLIVIAN_NOTATION
        table.types[i] = "integer" if all(_INT.match(row[i]) for row in table.rows if row[i]) else "number"


def typed_value(raw: str, kind: str):
    """The JSON value of a cell of a column of type ``kind``."""
    if raw == "" or raw is None:
        return None
    value = raw.strip()
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        return value.lower() == "true"
    return raw
