"""Guides from a catalogue file: YAML (the catalogue format), CSV or XLSX.

The YAML format is ``cms/demo/tramites.yaml``: ``municipality`` and a
``tramites`` list (slug, title, aliases, category, summary, requirements,
cost {amount_bs, text}, duration {business_days, text}, office, online,
steps, legal_basis, tags). CSV and XLSX have one row per guide with the
columns of ``COLUMNS`` (cost and duration flattened to ``cost_bs``,
``cost_text``, ``duration_days``, ``duration_text``); list cells hold one
item per line.

Everything is read and validated before anything is written: with any error
nothing is imported, and every error names its row and column.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_slug
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.models import Locale

from ayni.validators import validate_http_url
from cms import services
from cms.models import GuideIndexPage, GuidePage

EXTENSIONS = (".yaml", ".yml", ".csv", ".xlsx")
MAX_ROWS = 5000

COLUMNS = (
    "slug",
    "title",
    "aliases",
    "category",
    "summary",
    "requirements",
    "cost_bs",
    "cost_text",
    "duration_days",
    "duration_text",
    "office",
    "online",
    "online_url",
    "steps",
    "legal_basis",
    "tags",
)
LIST_COLUMNS = ("aliases", "requirements", "steps", "legal_basis", "tags")
# List cells of these columns may also separate items with commas.
COMMA_LISTS = ("legal_basis", "tags")

# Other accepted header names (folded: lower case, no accents, "_" for spaces).
HEADER_ALIASES = {
    "titulo": "title",
    "nombre": "title",
    "alias": "aliases",
    "nombres_alternativos": "aliases",
    "categoria": "category",
    "resumen": "summary",
    "requisitos": "requirements",
    "cost_amount": "cost_bs",
    "cost_amount_bs": "cost_bs",
    "cost_amount_bs_": "cost_bs",
    "costo_bs": "cost_bs",
    "costo": "cost_bs",
    "costo_detalle": "cost_text",
    "costo_texto": "cost_text",
    "duration_business_days": "duration_days",
    "plazo_dias": "duration_days",
    "plazo": "duration_days",
    "plazo_detalle": "duration_text",
    "plazo_texto": "duration_text",
    "oficina": "office",
    "en_linea": "online",
    "enlace_en_linea": "online_url",
    "pasos": "steps",
    "base_legal": "legal_basis",
    "normas": "legal_basis",
    "etiquetas": "tags",
}
# Where a YAML key sits in the flat columns.
YAML_KEYS = {
    "cost": {"amount_bs": "cost_bs", "text": "cost_text"},
    "duration": {"business_days": "duration_days", "text": "duration_text"},
}
YAML_NAMES = {
    "cost_bs": "cost.amount_bs",
    "cost_text": "cost.text",
    "duration_days": "duration.business_days",
    "duration_text": "duration.text",
}

MAX_LENGTHS = {
    "slug": 255,
    "title": 255,
    "summary": 600,
    "category": 100,
    "cost_text": 300,
    "duration_text": 300,
    "office": 200,
    "online_url": 200,
    "aliases": 200,
    "requirements": 500,
    "steps": 500,
    "legal_basis": 255,
    "tags": 100,
}
# The catalogue column of each field GuidePage.publish_problems() names.
PUBLISH_COLUMNS = {"cost_amount": "cost_bs"}
TRUE = {"si", "s", "yes", "y", "true", "verdadero", "1", "x"}
FALSE = {"no", "n", "false", "falso", "0", ""}


@dataclass(frozen=True)
class Problem:
    """An error or warning about one row (``row`` empty: the whole file) and one column."""

    row: str
    column: str
    message: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.row, self.column and _("columna «%s»") % self.column) if part)
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Row:
    row: str  # "fila 3" / "trámite 2 (línea 14)"
    values: dict
    names: dict = field(default_factory=dict)  # column -> name as written in the file


@dataclass
class PlanItem:
    row: str
    slug: str
    title: str
    action: str = ""  # "create", "update", "unchanged"
    changes: tuple[str, ...] = ()
    data: services.GuideData | None = None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        if self.errors:
            return _("error")
        return {"create": _("crear"), "update": _("actualizar"), "unchanged": _("sin cambios")}.get(self.action, "")


@dataclass
class ImportPlan:
    items: list[PlanItem] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)  # the file's own errors
    warnings: list[Problem] = field(default_factory=list)

    @property
    def all_errors(self) -> list[Problem]:
        return self.errors + [e for item in self.items for e in item.errors]

    @property
    def all_warnings(self) -> list[Problem]:
        return self.warnings + [w for item in self.items for w in item.warnings]

    @property
    def ok(self) -> bool:
        return not self.all_errors

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if not item.errors and item.action == action)


@dataclass
class ImportResult:
    plan: ImportPlan
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    applied: bool = False

    @property
    def errors(self) -> list[Problem]:
        return self.plan.all_errors

    @property
    def warnings(self) -> list[Problem]:
        return self.plan.all_warnings


class ImportFileError(Exception):
    """The file cannot be read at all."""


# --- Reading --------------------------------------------------------------------


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text).strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


def column_for(header: str) -> str | None:
    name = _fold(header)
    if name in COLUMNS:
        return name
    return HEADER_ALIASES.get(name)


def read_rows(name: str, content: bytes) -> tuple[list[Row], list[Problem]]:
    """The rows of a catalogue file, and the problems of the file itself."""
    suffix = Path(name).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return _read_yaml(content)
    if suffix == ".csv":
        return _read_table(_csv_rows(content))
    if suffix == ".xlsx":
        return _read_table(_xlsx_rows(content))
    raise ImportFileError(_("Formato no admitido: sube un archivo YAML, CSV o XLSX."))


def _read_yaml(content: bytes) -> tuple[list[Row], list[Problem]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(_("El archivo no está en UTF-8.")) from exc
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" ({_('línea %d') % (mark.line + 1)})" if mark else ""
        raise ImportFileError(_("El YAML no es válido%(where)s.") % {"where": line}) from exc
    finally:
        loader.dispose()
    items_node = node
    if isinstance(data, dict):
        items_node = next((v for k, v in node.value if getattr(k, "value", None) == "tramites"), None)
        data = data.get("tramites")
    if not isinstance(data, list):
        raise ImportFileError(_("El YAML debe tener una lista «tramites»."))
    if len(data) > MAX_ROWS:
        raise ImportFileError(_("El archivo tiene más de %(max)d guías.") % {"max": MAX_ROWS})
    rows, problems = [], []
    for n, item in enumerate(data, start=1):
        line = items_node.value[n - 1].start_mark.line + 1
        where = _("trámite %(n)d (línea %(line)d)") % {"n": n, "line": line}
        if not isinstance(item, dict):
            problems.append(Problem(where, "", _("Cada trámite debe ser un mapa de campos.")))
            continue
        row, item_problems = catalogue_row(item, where)
        problems.extend(item_problems)
        rows.append(row)
    return rows, problems


def catalogue_row(item: dict, where: str) -> tuple[Row, list[Problem]]:
    """One ``tramites`` item of the YAML format as a row (cost and duration flattened)."""
    problems: list[Problem] = []
    values, names = {}, {}
    for key, value in item.items():
        key = str(key)
        if key in YAML_KEYS:
            if value is None:
                continue
            if not isinstance(value, dict):
                problems.append(
                    Problem(where, key, _("Debe ser un mapa (%(keys)s).") % {"keys": ", ".join(YAML_KEYS[key])})
                )
                continue
            for sub, sub_value in value.items():
                column = YAML_KEYS[key].get(str(sub))
                if column is None:
                    problems.append(Problem(where, f"{key}.{sub}", _("Campo desconocido.")))
                else:
                    values[column], names[column] = sub_value, f"{key}.{sub}"
        elif key in COLUMNS and key not in YAML_NAMES:
            values[key], names[key] = value, key
        else:
            problems.append(Problem(where, key, _("Campo desconocido.")))
    return Row(where, values, names), problems


def _csv_rows(content: bytes) -> Iterable[list]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("cp1252", errors="replace")
    sample = text[:10_000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0] if sample else ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        yield from csv.reader(io.StringIO(text, newline=""), dialect)
    except csv.Error as exc:
        raise ImportFileError(_("El CSV no es válido: %(error)s") % {"error": exc}) from exc


def _xlsx_rows(content: bytes) -> Iterable[list]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors for a bad file
        raise ImportFileError(_("El archivo XLSX no se puede leer.")) from exc
    try:
        sheet = next((ws for ws in workbook.worksheets if _fold(ws.title) in ("tramites", "guias")), None)
        sheet = sheet or workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def _read_table(source: Iterable[list]) -> tuple[list[Row], list[Problem]]:
    rows = []
    iterator = iter(source)
    header = next(iterator, None)
    if header is None:
        raise ImportFileError(_("El archivo está vacío."))
    columns, problems = _header_columns(header)
    for required in ("slug", "title"):
        if required not in columns:
            raise ImportFileError(_("Falta la columna «%(column)s».") % {"column": required})
    names = {column: str(cell).strip() for column, cell in zip(columns, header, strict=False) if column}
    for number, cells in enumerate(iterator, start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(_("El archivo tiene más de %(max)d guías.") % {"max": MAX_ROWS})
        rows.append(Row(_("fila %d") % number, _row_values(columns, cells), names))
    return rows, problems


def _header_columns(header: list) -> tuple[list[str | None], list[Problem]]:
    """The column of each header cell (None for an unknown or repeated one), and what is wrong with them."""
    columns: list[str | None] = []
    problems = []
    for cell in header:
        text = "" if cell is None else str(cell).strip()
        column = column_for(text) if text else None
        if text and column is None:
            problems.append(Problem(_("fila 1"), text, _("Columna desconocida.")))
        if column is not None and column in columns:
            problems.append(Problem(_("fila 1"), text, _("Columna repetida.")))
            column = None
        columns.append(column)
    return columns, problems


def _row_values(columns: list[str | None], cells: list) -> dict:
    values = {}
    for column, cell in zip(columns, cells, strict=False):
        if column is None:
            continue
        if column in LIST_COLUMNS:
            cell = _split(cell, commas=column in COMMA_LISTS)
        values[column] = cell
    return values


def _split(cell, *, commas: bool) -> list[str]:
    if cell is None:
        return []
    text = str(cell).replace("\r\n", "\n").replace("\r", "\n")
    parts = re.split(r"[\n,]" if commas else r"\n", text)
    return [re.sub(r"^\s*(?:[-•*·]\s+)", "", p).strip() for p in parts if p.strip()]


# --- Validation -----------------------------------------------------------------


def _text(value, problems: list, column: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (list, dict)):
        problems.append((column, _("Debe ser un texto.")))
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) if column != "summary" else str(value).strip()


def _list(value, problems: list, column: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = _split(value, commas=column in COMMA_LISTS)
    if not isinstance(value, list):
        problems.append((column, _("Debe ser una lista.")))
        return []
    items = []
    for item in value:
        if isinstance(item, (list, dict)) or item is None:
            problems.append((column, _("Cada elemento debe ser un texto.")))
            continue
        text = " ".join(str(item).split())
        if text:
            items.append(text)
    return items


def _decimal(value, problems: list, column: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        problems.append((column, _("Debe ser un monto en bolivianos (por ejemplo 50 o 12,50).")))
        return None
    text = str(value).strip().replace(" ", "")
    text = re.sub(r"^(?:bs\.?)", "", text, flags=re.IGNORECASE)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        problems.append((column, _("Debe ser un monto en bolivianos (por ejemplo 50 o 12,50).")))
        return None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("100000000"):
        problems.append((column, _("El monto debe estar entre 0 y 99 999 999,99.")))
        return None
    if amount != amount.quantize(Decimal("0.01")):
        problems.append((column, _("El monto puede tener como máximo dos decimales.")))
        return None
    return amount.quantize(Decimal("0.01"))


def _days(value, problems: list, column: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        number = None
    if isinstance(value, bool) or number is None or not number.is_finite() or number != number.to_integral_value():
        problems.append((column, _("Debe ser un número entero de días hábiles.")))
        return None
    if not 0 <= number <= 32767:
        problems.append((column, _("El plazo debe estar entre 0 y 32767 días hábiles.")))
        return None
    return int(number)


def _bool(value, problems: list, column: str) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    folded = _fold(str(value))
    if folded in TRUE:
        return True
    if folded in FALSE:
        return False
    problems.append((column, _("Debe ser «sí» o «no».")))
    return False


def validate_row(row: Row) -> tuple[services.GuideData | None, list[Problem]]:
    """Turn one row into GuideData, or list what is wrong with it."""
    data, found = _row_data(row)
    problems = [Problem(row.row, row.names.get(c, YAML_NAMES.get(c, c)), m) for c, m in found]
    if problems:
        return None, problems
    return data, []


def _row_data(row: Row) -> tuple[services.GuideData, list[tuple[str, str]]]:
    """The row read as GuideData as far as it can be (unreadable cells left empty), and (column, error) pairs."""
    found: list[tuple[str, str]] = []
    v = row.values
    slug = _text(v.get("slug"), found, "slug")
    values = {
        "slug": slug,
        "title": _text(v.get("title"), found, "title"),
        "summary": _text(v.get("summary"), found, "summary"),
        "category": _text(v.get("category"), found, "category"),
        "cost_text": _text(v.get("cost_text"), found, "cost_text"),
        "duration_text": _text(v.get("duration_text"), found, "duration_text"),
        "office": _text(v.get("office"), found, "office"),
    }
    lists = {name: _list(v.get(name), found, name) for name in LIST_COLUMNS}
    cost = _decimal(v.get("cost_bs"), found, "cost_bs")
    days = _days(v.get("duration_days"), found, "duration_days")
    online = _bool(v.get("online"), found, "online")
    online_url = _online_url(v, found)
    _check_slug(slug, found)
    if not values["title"]:
        found.append(("title", _("El título es obligatorio.")))
    _check_lengths(values, lists, online_url, found)
    data = services.GuideData(
        **values,
        **{name: tuple(items) for name, items in lists.items()},
        cost_amount=cost,
        duration_days=days,
        online=online,
        online_url=online_url,
    )
    return data, found


def _online_url(v: dict, found: list) -> str | None:
    """The row's online address: None without the column, "" when empty."""
    if "online_url" not in v:
        return None
    online_url = _text(v.get("online_url"), found, "online_url")
    if online_url:
        try:
            URLValidator(schemes=["http", "https"])(online_url)
            validate_http_url(online_url)
        except ValidationError:
            found.append(("online_url", _("Debe ser un enlace http(s) válido.")))
    return online_url


def _check_slug(slug: str, found: list) -> None:
    if not slug:
        found.append(("slug", _("El slug es obligatorio.")))
        return
    try:
        validate_slug(slug)
    except ValidationError:
        found.append(("slug", _("El slug solo puede tener letras sin tilde, números, guiones y guiones bajos.")))
    if slug != slug.lower():
        found.append(("slug", _("El slug debe estar en minúsculas.")))


def _check_lengths(values: dict, lists: dict, online_url: str | None, found: list) -> None:
    for name, limit in MAX_LENGTHS.items():
        texts = lists.get(name, [values.get(name) or (online_url if name == "online_url" else "") or ""])
        if any(len(t) > limit for t in texts):
            found.append((name, _("Supera los %(max)d caracteres.") % {"max": limit}))


# --- Plan and apply -------------------------------------------------------------


def guide_index() -> GuideIndexPage | None:
    """Where imported guides live: the guide index of the default language."""
    index = GuideIndexPage.objects.filter(locale=Locale.get_default()).first()
    return index or GuideIndexPage.objects.first()


def _column(row: Row, column: str) -> str:
    return row.names.get(column, YAML_NAMES.get(column, column))


def plan_import(rows: list[Row], *, publish: bool, index: GuideIndexPage, user=None) -> ImportPlan:
    """What importing ``rows`` would do to each guide, and everything wrong with them."""
    plan = ImportPlan()
    seen: dict[str, str] = {}
    datas = []
    for row in rows:
        item = _plan_row(row, seen)
        plan.items.append(item)
        if item.data is not None:
            datas.append((row, item, item.data))
    regulations = services.regulations_by_slug(s for _r, _i, d in datas for s in d.legal_basis)
    children = {p.slug: p for p in index.get_children().filter(slug__in=[d.slug for _r, _i, d in datas]).specific()}
    permissions = index.permissions_for_user(user) if user is not None else None
    if permissions is not None and not permissions.can_add_subpage():
        plan.errors.append(Problem("", "", _("No tienes permiso para crear guías.")))
    if permissions is not None and publish and not permissions.can_publish_subpage():
        plan.errors.append(Problem("", "", _("No tienes permiso para publicar guías.")))
    for row, item, data in datas:
        _plan_action(item, row, data, children.get(data.slug), publish=publish, user=user, regulations=regulations)
    if publish:  # rows with other errors too, so that every error is listed at once
        for row, item in zip(rows, plan.items, strict=True):
            if item.data is None:
                _publish_errors(item, row, _row_data(row)[0], regulations={}, current=None)
    return plan


def _publish_errors(item: PlanItem, row: Row, data, *, regulations: dict, current) -> None:
    """What ``GuidePage.publish_problems()`` says of the guide the row would publish, as the row's errors.

    A column that already has an error (an unreadable cell) gets no second one.
    """
    taken = {problem.column for problem in item.errors}
    for problem in services.guide_publish_problems(data, regulations=regulations, current=current):
        column = _column(row, PUBLISH_COLUMNS.get(problem.field, problem.field or ""))
        if column not in taken:
            item.errors.append(Problem(row.row, column, problem.message))


def _plan_row(row: Row, seen: dict[str, str]) -> PlanItem:
    """A row validated; a repeated slug (``seen``: slug -> first row) is an error too."""
    data, problems = validate_row(row)
    item = PlanItem(
        row=row.row,
        slug=data.slug if data else str(row.values.get("slug") or ""),
        title=data.title if data else str(row.values.get("title") or ""),
        data=data,
        errors=problems,
    )
    slug = item.slug.strip()
    if slug and slug in seen:
        message = _("Slug repetido (ya está en %(row)s).") % {"row": seen[slug]}
        item.errors.append(Problem(row.row, _column(row, "slug"), message))
    seen.setdefault(slug, row.row)
    return item


def _plan_action(item: PlanItem, row: Row, data, existing, *, publish: bool, user, regulations: dict) -> None:
    """What importing a valid row does to its guide (``existing``: the page with its slug, if any)."""
    unknown = [s for s in data.legal_basis if s not in regulations]
    if unknown:
        item.warnings.append(
            Problem(
                row.row,
                _column(row, "legal_basis"),
                _("Normas desconocidas (se omiten): %(ids)s") % {"ids": ", ".join(unknown)},
            )
        )
    if publish and (existing is None or isinstance(existing, GuidePage)):
        _publish_errors(item, row, data, regulations=regulations, current=existing)
    if existing is None:
        item.action = "create"
        return
    if not isinstance(existing, GuidePage):
        item.errors.append(
            Problem(row.row, _column(row, "slug"), _("Ya existe otra página (no una guía) con este slug."))
        )
        return
    if user is not None:
        page_permissions = existing.permissions_for_user(user)
        if not page_permissions.can_edit() or (publish and not page_permissions.can_publish()):
            item.errors.append(Problem(row.row, "", _("No tienes permiso para modificar esta guía.")))
            return
    latest = existing.get_latest_revision_as_object()
    item.changes = tuple(services.guide_changes(latest, data, regulations=regulations))
    needs_publish = publish and (not existing.live or existing.has_unpublished_changes)
    item.action = "update" if item.changes or needs_publish else "unchanged"
    if not item.changes and needs_publish:
        item.changes = ("publish",)


def import_guides(
    name: str,
    content: bytes,
    *,
    publish: bool,
    dry_run: bool = False,
    user=None,
    index: GuideIndexPage | None = None,
    progress: Callable[[Iterable], Iterable] | None = None,
) -> ImportResult:
    """Read, validate and (unless ``dry_run`` or anything is wrong) import a catalogue file.

    One transaction: with any error nothing is written. Raises ImportFileError
    when the file cannot be read at all. Search documents are refreshed once
    for the whole import (one task for the guide index), not once per guide.
    """
    from cms.publishing import publishing_batched

    index = index or guide_index()
    if index is None:
        raise ImportFileError(_("No existe el índice de trámites: crea primero la página «Trámites»."))
    rows, file_problems = read_rows(name, content)
    if not rows and not file_problems:
        file_problems.append(Problem("", "", _("El archivo no tiene ninguna guía.")))
    plan = plan_import(rows, publish=publish, index=index, user=user)
    plan.errors[:0] = [p for p in file_problems]
    result = ImportResult(plan=plan)
    if not plan.ok or dry_run:
        result.created, result.updated, result.unchanged = (plan.count(a) for a in ("create", "update", "unchanged"))
        return result
    regulations = services.regulations_by_slug(s for item in plan.items for s in item.data.legal_basis)
    items = plan.items if progress is None else progress(plan.items)
    with transaction.atomic(), publishing_batched():
        for item in items:
            try:
                outcome = services.guide_upsert(
                    index=index, data=item.data, publish=publish, user=user, regulations=regulations
                )
            except ValidationError as exc:  # the database changed since the plan: undo everything
                item.errors.extend(Problem(item.row, "", message) for message in exc.messages)
                transaction.set_rollback(True)
                result.created = result.updated = result.unchanged = 0
                return result
            item.action = {"created": "create", "updated": "update"}.get(outcome.action, "unchanged")
            setattr(result, outcome.action, getattr(result, outcome.action) + 1)
    result.applied = True
    return result
