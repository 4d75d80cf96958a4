import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from cms.models import GuideIndexPage, GuidePage, GuideRequirement, GuideStep, Office
from tests.cms.factories import section_index

pytestmark = pytest.mark.django_db


def _form(*, requirements, office, publish):
    data = nested_form_data(
        {
            "title": "Registro de food truck",
            "slug": "registro-food-truck",
            "summary": "Autoriza la venta de comida en vehículos.",
            "alternative_names": inline_formset([]),
            "requirements": inline_formset([{"text": t, "note": ""} for t in requirements]),
            "steps": inline_formset([{"text": "Presentar los requisitos en ventanilla"}] if requirements else []),
            "legal_basis": inline_formset([]),
            "office": office.pk if office else "",
            "online": "",
            "tags": "",
            "cost_amount": "0" if requirements else "",
            "duration_days": "1" if requirements else "",
        }
    )
    if publish:
        data["action-publish"] = "publish"
    return data


def test_rule_names_what_is_missing():
    summary = "Autoriza la venta de comida en vehículos."
    problems = GuidePage(summary=summary, cost_amount=0, duration_days=1).publish_problems()
    assert [p.field for p in problems] == ["requirements", "office", "steps"]
    page = GuidePage(summary=summary, cost_amount=0, duration_days=1, office=Office(name="x"))
    page.requirements = [GuideRequirement(text="Cédula de identidad")]
    page.steps = [GuideStep(text="Presentar la cédula")]
    assert page.publish_problems() == []


def test_admin_refuses_to_publish_an_incomplete_guide(client, admin_user):
    client.force_login(admin_user)
    index = section_index(GuideIndexPage, slug="tramites", title="Guías de trámites")
    url = reverse("wagtailadmin_pages:add", args=["cms", "guidepage", index.pk])
    response = client.post(url, _form(requirements=[], office=None, publish=True))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No se puede publicar una guía sin requisitos." in html
    assert "No se puede publicar una guía sin oficina de atención." in html
    assert not GuidePage.objects.filter(slug="registro-food-truck").exists()


def test_admin_saves_incomplete_draft_and_publishes_complete_guide(client, admin_user, office):
    client.force_login(admin_user)
    index = section_index(GuideIndexPage, slug="tramites", title="Guías de trámites")
    url = reverse("wagtailadmin_pages:add", args=["cms", "guidepage", index.pk])
    response = client.post(url, _form(requirements=[], office=None, publish=False))
    assert response.status_code == 302
    draft = GuidePage.objects.get(slug="registro-food-truck")
    assert not draft.live
    edit = reverse("wagtailadmin_pages:edit", args=[draft.pk])
    response = client.post(edit, _form(requirements=["Cédula de identidad"], office=office, publish=True))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.live and draft.requirements.count() == 1
