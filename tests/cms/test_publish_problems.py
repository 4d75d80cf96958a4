"""``GuidePage.publish_problems()``: the one publishing rule of guides (issue 13, item 7).

Each rule on an unsaved guide; then every way of publishing asks it: the edit
form (publishing refused, a draft saved), Wagtail's bulk publish, the catalogue
import (command and admin screen) and ``cms.services.guide_upsert``. The demo
catalogue and the large evaluation catalogue satisfy it.
"""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from wagtail.models import Page, Revision
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from cms import services
from cms.demo.loader import DATA_DIR
from cms.importers import import_guides
from cms.models import GuideIndexPage, GuideLegalBasis, GuidePage, GuideRequirement, GuideStep, Office, PortalSettings
from tests.cms.factories import GuidePageFactory, RegulationPageFactory, section_index

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SUMMARY = "Autoriza la venta de comida en vehículos dentro del municipio."


def _guide(**fields) -> GuidePage:
    """An unsaved guide that may be published, with ``fields`` changed (children as lists of texts)."""
    children = {name: fields.pop(name) for name in ("requirements", "steps", "legal_basis") if name in fields}
    values = {
        "title": "Registro de food truck",
        "summary": SUMMARY,
        "cost_amount": Decimal("50"),
        "cost_text": "",
        "duration_days": 3,
        "duration_text": "",
        "office": Office(name="Ventanilla Única"),
        "online": False,
        "online_url": "",
        **fields,
    }
    page = GuidePage(**values)
    page.requirements = [GuideRequirement(text=t) for t in children.get("requirements", ["Cédula de identidad"])]
    page.steps = [GuideStep(text=t) for t in children.get("steps", ["Presentar los requisitos en ventanilla"])]
    page.legal_basis = [GuideLegalBasis(regulation=r) for r in children.get("legal_basis", [])]
    return page


def _fields(page: GuidePage) -> list:
    return [problem.field for problem in page.publish_problems()]


@pytest.fixture
def no_portal_platform():
    """The portal's settings give no online platform address."""
    record = PortalSettings.load()
    record.online_platform_url = ""
    record.save()


# --- The rules -------------------------------------------------------------------


def test_a_complete_guide_has_no_problems():
    assert _guide().publish_problems() == []
    # Free (0) is a cost; a cost or a duration "depending on the case" is stated in words.
    assert _fields(_guide(cost_amount=Decimal("0"))) == []
    assert _fields(_guide(cost_amount=None, cost_text="Depende de la superficie")) == []
    assert _fields(_guide(duration_days=None, duration_text="Inmediato en ventanilla")) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"summary": ""}, ["summary"]),
        ({"summary": "Un trámite."}, ["summary"]),
        ({"summary": "Largo. " * 60}, ["summary"]),
        ({"requirements": []}, ["requirements"]),
        ({"requirements": ["  "]}, ["requirements"]),
        ({"requirements": ["Cédula de identidad", "Croquis", "cedula de  identidad."]}, ["requirements"]),
        ({"cost_amount": None}, ["cost_amount"]),
        ({"duration_days": None}, ["duration_days"]),
        ({"office": None}, ["office"]),
        ({"steps": []}, ["steps"]),
        ({"office": None, "steps": [], "requirements": []}, ["requirements", "office", "steps"]),
    ],
)
def test_each_rule_names_its_field(fields, expected):
    assert _fields(_guide(**fields)) == expected


def test_repeated_requirements_are_named():
    page = _guide(requirements=["Cédula de identidad", "Croquis", "cedula de  identidad."])
    [problem] = page.publish_problems()
    assert problem.message == "Requisitos repetidos: «cedula de  identidad.»."


def test_online_guide_needs_no_office_or_steps_but_an_address(no_portal_platform):
    assert _fields(_guide(online=True, office=None, steps=[], online_url="https://24-7.ejemplo.bo/")) == []
    assert _fields(_guide(online=True, office=None, steps=[])) == ["online_url"]
    record = PortalSettings.load()
    record.online_platform_url = "https://24-7.ejemplo.bo/"
    record.save()
    # The portal's online platform is the address of an online guide without its own.
    assert _fields(_guide(online=True, office=None, steps=[])) == []


def test_legal_basis_must_be_published_and_cited_once():
    law = RegulationPageFactory()
    draft = RegulationPageFactory(live=False, title="Ley en borrador")
    assert _fields(_guide(legal_basis=[law])) == []
    problems = _guide(legal_basis=[law, draft]).publish_problems()
    assert [p.field for p in problems] == ["legal_basis"] and "«Ley en borrador»" in problems[0].message
    assert _fields(_guide(legal_basis=[law, law])) == ["legal_basis"]


def test_messages_are_spanish_with_english_translation():
    page = _guide(cost_amount=None, office=None)
    assert [p.message for p in page.publish_problems()] == [
        "Indica el costo: un monto (0 si es gratuito) o, si depende del caso, el detalle.",
        "No se puede publicar una guía sin oficina de atención.",
    ]
    with translation.override("en"):
        messages = [p.message for p in page.publish_problems()]
    assert messages[1] == "A guide cannot be published without an office."
    assert messages[0].startswith("State the cost")


# --- The demo and the large catalogue ------------------------------------------------


def test_demo_and_large_catalogue_may_be_published():
    demo = GuidePage.objects.live().filter(slug__in=[g["slug"] for g in _catalogue(DATA_DIR / "tramites.yaml")])
    assert demo.count() == 17
    assert {page.slug: page.publish_problems() for page in demo if page.publish_problems()} == {}
    for path in (DATA_DIR / "tramites.yaml", ROOT / "chatbot" / "eval" / "catalogue_large.yaml"):
        result = import_guides(path.name, path.read_bytes(), publish=True, dry_run=True)
        assert [str(p) for item in result.plan.items for p in item.errors] == [], path
        assert result.plan.ok


def _catalogue(path: Path) -> list[dict]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))["tramites"]


# --- The edit form -------------------------------------------------------------------


def _form(*, publish: bool, requirements, cost_amount="", office=None, summary=SUMMARY):
    data = nested_form_data(
        {
            "title": "Registro de food truck",
            "slug": "registro-food-truck",
            "summary": summary,
            "alternative_names": inline_formset([]),
            "requirements": inline_formset([{"text": t, "note": ""} for t in requirements]),
            "steps": inline_formset([{"text": "Presentar los requisitos en ventanilla"}]),
            "legal_basis": inline_formset([]),
            "office": office.pk if office else "",
            "online": "",
            "tags": "",
            "cost_amount": cost_amount,
            "duration_days": "3",
        }
    )
    if publish:
        data["action-publish"] = "publish"
    return data


def test_edit_form_refuses_to_publish_but_saves_a_draft(client, admin_user, office):
    client.force_login(admin_user)
    index = section_index(GuideIndexPage, slug="tramites", title="Guías de trámites")
    add = reverse("wagtailadmin_pages:add", args=["cms", "guidepage", index.pk])
    incomplete = {"requirements": ["Cédula de identidad", "cédula de identidad"], "office": office}
    response = client.post(add, _form(publish=True, **incomplete))
    assert response.status_code == 200
    form = response.context["form"]
    # Next to its field; a problem of an inline panel above that panel.
    assert form.errors["cost_amount"] == [
        "Indica el costo: un monto (0 si es gratuito) o, si depende del caso, el detalle."
    ]
    assert form.formsets["requirements"].non_form_errors() == ["Requisitos repetidos: «cédula de identidad»."]
    assert "Requisitos repetidos" in response.content.decode()
    assert not GuidePage.objects.filter(slug="registro-food-truck").exists()

    response = client.post(add, _form(publish=False, **incomplete))  # a draft may be incomplete
    assert response.status_code == 302
    draft = GuidePage.objects.get(slug="registro-food-truck")
    assert not draft.live

    edit = reverse("wagtailadmin_pages:edit", args=[draft.pk])
    response = client.post(edit, _form(publish=True, requirements=["Cédula de identidad"], cost_amount="0"))
    assert response.status_code == 200 and "office" in response.context["form"].errors
    draft.refresh_from_db()
    assert not draft.live
    response = client.post(
        edit, _form(publish=True, requirements=["Cédula de identidad"], cost_amount="0", office=office)
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.live and draft.cost_amount == 0


# --- Bulk publish -----------------------------------------------------------------


def test_bulk_publish_leaves_out_guides_with_problems(client, admin_user):
    client.force_login(admin_user)
    complete = GuidePageFactory(live=False, title="Guía completa")
    incomplete = GuidePageFactory(live=False, title="Guía sin costo", cost_amount=None, cost_text="")
    hidden = GuidePageFactory(live=False, title="Guía sin pasos", steps=[])
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    url += f"?id={complete.pk}&id={incomplete.pk}"

    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Guía sin costo" in html and "Indica el costo" in html
    assert [entry["item"].pk for entry in response.context["items"]] == [complete.pk]

    response = client.post(url, {"include_descendants": ""})
    assert response.status_code == 302
    complete.refresh_from_db(), incomplete.refresh_from_db()
    assert complete.live and not incomplete.live
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("«Guía sin costo»" in m and "Indica el costo" in m for m in messages)

    # Publishing the index "with its subpages" leaves the incomplete drafts out too.
    index_url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "publish"])
    index_url += f"?id={complete.get_parent().pk}"
    response = client.post(index_url, {"include_descendants": "on"})
    incomplete.refresh_from_db(), hidden.refresh_from_db()
    assert not incomplete.live and not hidden.live
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("«Guía sin pasos»" in m and "Un trámite presencial necesita sus pasos." in m for m in messages)


# --- Import and services --------------------------------------------------------------


def _item(slug: str, **extra) -> dict:
    item = {
        "slug": slug,
        "title": f"Trámite {slug}",
        "summary": "Autoriza el traslado de restos en cementerios municipales.",
        "requirements": ["Cédula de identidad", "Certificado de defunción"],
        "cost": {"amount_bs": 0, "text": "Gratuito"},
        "duration": {"business_days": 2},
        "office": "Oficina de Cementerios",
        "online": False,
        "steps": ["Presentar los requisitos"],
    }
    item.update(extra)
    return item


def _counts():
    return Page.objects.count(), Revision.objects.count(), Office.objects.count()


def _yaml(items) -> bytes:
    return yaml.safe_dump({"tramites": items}, allow_unicode=True).encode()


def test_import_reports_problems_by_row_and_column_and_imports_nothing():
    content = _yaml(
        [
            _item("traslado-valido"),  # valid, but must not be imported either
            _item("traslado-sin-costo", cost={"text": ""}, requirements=["Cédula", "cédula"]),
            _item("traslado-sin-oficina", office="", steps=[], title=""),  # with another error too
        ]
    )
    before = _counts()
    result = import_guides("catalogo.yaml", content, publish=True)
    assert not result.applied and _counts() == before
    errors = [str(p) for item in result.plan.items for p in item.errors]
    assert any("trámite 2" in e and "«cost.amount_bs»" in e and "Indica el costo" in e for e in errors), errors
    assert any("trámite 2" in e and "«requirements»" in e and "Requisitos repetidos: «cédula»." in e for e in errors)
    assert any("trámite 3" in e and "«office»" in e and "sin oficina" in e for e in errors), errors
    assert any("trámite 3" in e and "«steps»" in e for e in errors) and any("«title»" in e for e in errors)
    assert not result.plan.items[0].errors
    # As drafts the same guides are imported.
    result = import_guides("catalogo.yaml", _yaml([_item("traslado-sin-costo", cost={"text": ""})]), publish=False)
    assert result.applied and not GuidePage.objects.get(slug="traslado-sin-costo").live


def test_admin_import_preview_lists_problems(client, admin_user, settings, tmp_path):
    settings.AYNI_GUIDE_IMPORT_DIR = str(tmp_path)
    client.force_login(admin_user)
    content = _yaml([_item("traslado-sin-plazo", duration={"text": ""})])
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("catalogo.yaml", content, content_type="application/x-yaml")
    response = client.post(reverse("cms_import_guides"), {"file": upload, "publish": "on"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "columna «duration.business_days»" in html and "Indica el plazo" in html
    assert reverse("cms_import_guides_confirm") not in html
    assert not GuidePage.objects.filter(slug="traslado-sin-plazo").exists()


def test_service_refuses_to_publish_an_incomplete_guide():
    index = section_index(GuideIndexPage, slug="tramites", title="Guías de trámites")
    data = services.GuideData(
        slug="traslado-servicio",
        title="Traslado de restos",
        summary="Autoriza el traslado de restos en cementerios municipales.",
        requirements=("Cédula de identidad",),
        office="Oficina de Cementerios de prueba",
        steps=("Presentar la cédula",),
        duration_days=2,
    )
    before = _counts()
    with pytest.raises(ValidationError) as raised:
        services.guide_upsert(index=index, data=data, publish=True)
    assert list(raised.value.message_dict) == ["cost_amount"]
    assert _counts() == before
    draft = services.guide_upsert(index=index, data=data, publish=False).page
    assert not draft.live
