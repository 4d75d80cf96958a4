"""One form style for every public form, after the GOV.UK design system: an error summary at the top
that links to each field with an error, then for each field its label, help, error and input, in
that order. Optional fields are marked "(opcional)"; required ones carry no mark.

Django (5.2) already gives each input aria-invalid="true" and aria-describedby pointing at the help
text (``<id>_helptext``) and the error list (``<id>_error``); these templates write those ids."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

register = template.Library()


def _field_href(bound_field) -> str:
    """The id the summary links to: the input itself, or the first option of a radio/checkbox group."""
    auto_id = bound_field.auto_id
    if not auto_id:
        return ""
    if bound_field.field.widget.use_fieldset:
        subwidgets = list(bound_field.subwidgets)
        if subwidgets:
            return subwidgets[0].id_for_label or auto_id
    return auto_id


def summary_items(form, ids: dict[str, str] | None = None) -> list[dict]:
    """The errors of a bound form, in field order: non-field errors first (no link), then one item per
    error of each field, linking to that field (to ``ids[name]`` when a template writes its own ids)."""
    if not getattr(form, "is_bound", False) or not form.errors:
        return []
    ids = ids or {}
    items = [{"href": "", "message": message} for message in form.non_field_errors()]
    for bound_field in form:
        if bound_field.is_hidden:
            # A hidden field cannot be reached: say its error without a link.
            items.extend({"href": "", "message": message} for message in bound_field.errors)
            continue
        href = ids.get(bound_field.name) or _field_href(bound_field)
        # "Asunto: Este campo es obligatorio." — the same message under several fields says which one.
        label = str(bound_field.label or "")
        items.extend({"href": href, "label": label, "message": message} for message in bound_field.errors)
    return items


@register.inclusion_tag("ayni/forms/error_summary.html")
def error_summary(form, ids: str = ""):
    """The box at the top of the form: "Hay un problema" and a link to every field with an error.
    ``ids`` ("field=html-id,...") names the inputs of a form written by hand."""
    mapping = dict(pair.split("=", 1) for pair in ids.split(",") if "=" in pair)
    return {"items": summary_items(form, mapping)}


@register.inclusion_tag("ayni/forms/field.html")
def form_field(bound_field):
    """One field: label (with "(opcional)" unless the label already says so), help, error, input."""
    label = str(bound_field.label or "")
    optional_word = gettext("opcional")
    optional_mark = ""
    if not bound_field.field.required and optional_word.lower() not in label.lower():
        optional_mark = gettext("(opcional)")
    return {"field": bound_field, "optional_mark": optional_mark}


@register.inclusion_tag("ayni/forms/fields.html")
def form_fields(form):
    """Every field of the form, hidden ones included, in the shared style."""
    return {"form": form}
