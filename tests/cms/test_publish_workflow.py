"""Wagtail's moderation workflow runs the guide publish checks too (issue 13, item 7).

"Aprobar" on the last task publishes the guide's latest revision without the
edit form (``cms.forms.GuidePageForm`` checks only "Publicar"). Approval of a
guide that ``GuidePage.publish_problems()`` objects to is refused, with the
problems in a message, from the dashboard's review buttons and from the edit
form alike (the edits are kept as a draft); the workflow waits, and once the
guide is complete the same approval publishes it.
"""

import pytest
from django.urls import reverse
from wagtail.models import WorkflowState

from cms.models import Office
from tests.cms.factories import GuidePageFactory
from tests.cms.test_publish_problems import _form

pytestmark = pytest.mark.django_db


def _in_review(guide, user) -> WorkflowState:
    guide.save_revision(user=user)
    return guide.get_workflow().start(guide, user)


def _messages(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


def test_approving_from_the_review_buttons_runs_the_publish_checks(client, admin_user):
    client.force_login(admin_user)
    guide = GuidePageFactory(live=False, title="Guía sin costo", cost_amount=None, cost_text="")
    state = _in_review(guide, admin_user)
    url = reverse("wagtailadmin_pages:workflow_action", args=[guide.pk, "approve", state.current_task_state.pk])

    response = client.post(url, {"comment": ""})
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_pages:edit", args=[guide.pk])
    assert any("No se aprobó «Guía sin costo»" in m and "Indica el costo" in m for m in _messages(response))
    guide.refresh_from_db()
    state.refresh_from_db()
    assert not guide.live and state.status == WorkflowState.STATUS_IN_PROGRESS

    # The reviewer's modal (XMLHttpRequest) is told where to go instead of "done".
    response = client.post(url, {"comment": ""}, headers={"x-requested-with": "XMLHttpRequest"})
    assert response.json()["step"] == "success"
    guide.refresh_from_db()
    assert not guide.live

    guide.cost_amount = 0
    guide.save_revision(user=admin_user)
    response = client.post(url, {"comment": ""})
    assert response.status_code == 302
    guide.refresh_from_db()
    state.refresh_from_db()
    assert guide.live and guide.cost_amount == 0 and state.status == WorkflowState.STATUS_APPROVED


def test_approving_from_the_edit_form_runs_the_publish_checks_and_keeps_the_draft(client, admin_user):
    client.force_login(admin_user)
    office = Office.objects.first()
    guide = GuidePageFactory(live=False, slug="registro-food-truck", office=None)
    state = _in_review(guide, admin_user)
    edit = reverse("wagtailadmin_pages:edit", args=[guide.pk])

    def approve(**fields):
        data = _form(publish=False, requirements=["Cédula de identidad"], cost_amount="0", **fields)
        return client.post(edit, {**data, "action-workflow-action": "true", "workflow-action-name": "approve"})

    response = approve(office=None)
    assert any("No se aprobó" in m and "oficina" in m.lower() for m in _messages(response))
    guide.refresh_from_db()
    state.refresh_from_db()
    assert not guide.live and state.status == WorkflowState.STATUS_IN_PROGRESS
    assert guide.get_latest_revision_as_object().cost_amount == 0  # the edits are kept as a draft

    response = approve(office=office)
    assert response.status_code == 302
    guide.refresh_from_db()
    state.refresh_from_db()
    assert guide.live and guide.office_id == office.pk and state.status == WorkflowState.STATUS_APPROVED


def test_other_pages_are_approved_as_before(client, admin_user):
    from wagtail.models import Page

    from cms.models import GuidePage

    client.force_login(admin_user)
    page = Page.objects.live().filter(depth__gt=2).not_type(GuidePage).first().specific
    page.title += " (revisada)"
    state = _in_review(page, admin_user)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.current_task_state.pk])
    assert client.post(url, {"comment": ""}).status_code == 302
    state.refresh_from_db()
    assert state.status == WorkflowState.STATUS_APPROVED


def test_the_moderation_workflow_has_a_spanish_name(client, admin_user):
    from wagtail.models import Task, Workflow

    assert not Workflow.objects.filter(name="Moderators approval").exists()
    assert not Task.objects.filter(name="Moderators approval").exists()
    client.force_login(admin_user)
    guide = GuidePageFactory(live=False)
    html = client.get(reverse("wagtailadmin_pages:edit", args=[guide.pk])).content.decode()
    assert "Enviar a Aprobación de moderación" in html
