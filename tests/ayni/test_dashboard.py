"""The admin dashboard (issue 13, item 5): what is pending, role by role.

Each app adds its counts (summary items) and panels through Wagtail's homepage
hooks; each is shown only to whoever may open the list it links to, and the
complaint counts are those of the user's own units.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from participation.models import Complaint

pytestmark = pytest.mark.django_db

HOME = "/admin/"
QUEUE = "/admin/participa/reclamos/"


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def _link_text(html: str, href_start: str) -> str | None:
    """The text of the first link whose address starts with ``href_start`` (tags stripped), or None."""
    for match in re.finditer(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html, re.S):
        if unescape(match.group(1)).startswith(href_start):
            return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())
    return None


def _count(html: str, href_start: str) -> int | None:
    text = _link_text(html, href_start)
    return None if text is None else int(re.match(r"\d+", text).group(0))


def _deadlines_panel(html: str) -> str | None:
    match = re.search(r'<section[^>]*id="participation-deadlines-section".*?</section>', html, re.S)
    return match.group(0) if match else None


@pytest.fixture
def units(municipal_unit_factory):
    return municipal_unit_factory(name="Unidad de Baches"), municipal_unit_factory(name="Unidad de Parques")


@pytest.fixture
def cases(units, complaint_factory):
    """In each unit: one overdue, one due tomorrow, one due later and one closed overdue; a denuncia overdue."""
    today = timezone.localdate()
    made = {}
    for unit in units:
        made[unit.slug] = [
            complaint_factory(unit=unit, due_date=today - timedelta(days=3)),
            complaint_factory(unit=unit, due_date=today + timedelta(days=1)),
            complaint_factory(unit=unit, due_date=today + timedelta(days=20)),
            complaint_factory(unit=unit, due_date=today - timedelta(days=3), status=Complaint.Status.CLOSED),
        ]
    made["denuncia"] = complaint_factory(unit=units[0], kind="denuncia", due_date=today - timedelta(days=1))
    return made


def test_a_case_worker_sees_the_deadlines_of_their_own_units_only(client, units, cases, case_worker_factory):
    baches, parques = units
    worker = case_worker_factory(units=[baches])
    html = _home(client, worker)
    panel = _deadlines_panel(html)
    assert panel is not None
    assert "<caption>" in panel and "<h2" in panel
    assert "Unidad de Baches" in panel and "Unidad de Parques" not in panel
    # One overdue and one due soon in their unit (the closed case, the later one and the denuncia do not count).
    assert _count(panel, f"{QUEUE}?unidad={baches.slug}&vencidos=1") == 1
    assert _count(panel, f"{QUEUE}?unidad={baches.slug}&vencidos=pronto") == 1
    assert _count(html, f"{QUEUE}?vencidos=1") == 1
    assert _count(html, f"{QUEUE}?vencidos=pronto") == 1
    # Nothing of the other roles' lists.
    for other in ("/admin/participa/moderacion/", "/admin/asistente/", "/admin/reports/aging-pages/"):
        assert _link_text(html, other) is None


def test_the_dashboard_links_open_the_filtered_queue(client, units, cases, case_worker_factory):
    baches, _parques = units
    worker = case_worker_factory(units=[baches])
    client.force_login(worker)
    overdue, soon, later, _closed = cases[baches.slug]
    listed = client.get(QUEUE, {"unidad": baches.slug, "vencidos": "pronto"}).content.decode()
    assert soon.code in listed and overdue.code not in listed and later.code not in listed
    listed = client.get(QUEUE, {"unidad": baches.slug, "vencidos": "1"}).content.decode()
    assert overdue.code in listed and soon.code not in listed


def test_the_transparency_unit_counts_denuncias_and_an_officer_of_two_units_both(
    client, units, cases, transparency_officer_factory, case_worker_factory
):
    html = _home(client, transparency_officer_factory())
    panel = _deadlines_panel(html)
    assert _count(html, f"{QUEUE}?vencidos=1") >= 1
    assert _count(panel, f"{QUEUE}?unidad={units[0].slug}&vencidos=1") == 1  # the denuncia only
    assert "Unidad de Parques" not in panel

    html = _home(client, case_worker_factory(units=list(units)))
    assert _count(html, f"{QUEUE}?vencidos=1") == 2 and _count(html, f"{QUEUE}?vencidos=pronto") == 2


def test_a_case_worker_with_nothing_pending_is_told_so(client, case_worker_factory):
    panel = _deadlines_panel(_home(client, case_worker_factory()))
    assert "Ningún caso de tus unidades está vencido" in panel and "<table" not in panel


def test_a_user_without_permission_sees_none_of_it(client, staff, units, cases):
    html = _home(client, staff)
    assert _deadlines_panel(html) is None
    for href in (
        QUEUE,
        "/admin/participa/moderacion/",
        "/admin/participa/propuestas/",
        "/admin/asistente/",
        "/admin/reports/aging-pages/",
        "/admin/zero_result_queries/",
        "/admin/ckan_outbox/",
    ):
        assert _link_text(html, href) is None, href


def test_moderators_see_the_reports_waiting(client, moderator, comment_factory, proposal_factory, verified_citizen):
    from participation.models import ContentReport

    before = _home(client, moderator)
    comments = _count(before, "/admin/participa/moderacion/?pendientes=1")
    proposals = _count(before, "/admin/participa/propuestas/?reportadas=1")
    comment, proposal = comment_factory(), proposal_factory()
    ContentReport.objects.create(reporter=verified_citizen, comment=comment, reason="Insulta a otra persona.")
    ContentReport.objects.create(reporter=verified_citizen, proposal=proposal, reason="Es publicidad.")
    resolved = ContentReport.objects.create(reporter=verified_citizen, comment=comment_factory(), reason="Spam")
    ContentReport.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now())
    after = _home(client, moderator)
    assert _count(after, "/admin/participa/moderacion/?pendientes=1") == comments + 1
    assert _count(after, "/admin/participa/propuestas/?reportadas=1") == proposals + 1
    assert _deadlines_panel(after) is None


def test_editors_see_unanswered_questions_and_zero_result_searches_of_this_week(client, staff_factory):
    from chatbot.models import ChatExchange
    from search.models import ZeroResultQuery

    editor = staff_factory(permissions=["chatbot.view_chatexchange", "portal_search.view_zeroresultquery"])
    before = _home(client, editor)
    unanswered = _count(before, reverse("chatbot_unanswered") + "?dias=7")
    zero = _count(before, "/admin/zero_result_queries/")
    assert unanswered is not None and zero is not None

    for text in ("¿dónde pago la patente de mi tienda?", "¿dónde pago la patente de mi tienda?", "horario del zoo"):
        ChatExchange.objects.create(sender_hash="x" * 64, channel="web", text=text, engine="fallback", answered=False)
    ChatExchange.objects.create(sender_hash="x" * 64, channel="web", text="respondida", engine="fallback")
    old = ChatExchange.objects.create(sender_hash="x" * 64, channel="web", text="vieja", engine="fallback")
    ChatExchange.objects.filter(pk=old.pk).update(answered=False, created_at=timezone.now() - timedelta(days=9))
    ZeroResultQuery.objects.create(query="quirquincho azul", example="quirquincho azul", count=3)
    ZeroResultQuery.objects.create(
        query="tatu viejo", example="tatu viejo", last_seen=timezone.now() - timedelta(days=10)
    )

    after = _home(client, editor)
    assert _count(after, reverse("chatbot_unanswered") + "?dias=7") == unanswered + 2  # distinct questions
    assert _count(after, "/admin/zero_result_queries/") == zero + 1
    # Only their lists.
    assert _link_text(after, "/admin/ckan_outbox/") is None and _link_text(after, QUEUE) is None


def test_guides_not_published_for_a_year_link_to_the_aging_pages_report(client, superuser, guide_page_factory):
    from cms.models import GuidePage

    before = _count(_home(client, superuser), "/admin/reports/aging-pages/")
    stale, fresh = guide_page_factory(), guide_page_factory()
    GuidePage.objects.filter(pk=stale.pk).update(last_published_at=timezone.now() - timedelta(days=400))
    GuidePage.objects.filter(pk=fresh.pk).update(last_published_at=timezone.now() - timedelta(days=30))
    html = _home(client, superuser)
    assert _count(html, "/admin/reports/aging-pages/") == before + 1
    report = unescape(re.search(r'href="(/admin/reports/aging-pages/[^"]*)"', html).group(1))
    listed = client.get(report).content.decode()
    assert stale.title in listed and fresh.title not in listed


def test_an_editor_of_another_section_has_no_guides_to_review(client, staff_factory, guide_page_factory):
    from django.contrib.auth.models import Group, Permission
    from wagtail.models import GroupPagePermission, Page

    from cms.models import GuidePage

    stale = guide_page_factory()
    GuidePage.objects.filter(pk=stale.pk).update(last_published_at=timezone.now() - timedelta(days=400))
    elsewhere = Page.objects.live().exclude(pk__in=stale.get_ancestors(inclusive=True)).not_type(GuidePage).last()
    group = Group.objects.create(name="Editores de otra sección")
    GroupPagePermission.objects.create(
        group=group, page=elsewhere, permission=Permission.objects.get(codename="change_page")
    )
    editor = staff_factory(groups=[group])
    assert _count(_home(client, editor), "/admin/reports/aging-pages/") == 0


def test_ckan_outbox_errors_are_counted_for_those_who_may_see_the_outbox(client, staff_factory):
    from opendata.models import CkanOutbox

    viewer = staff_factory(permissions=["opendata.view_ckanoutbox"])
    before = _home(client, viewer)
    failed = _count(before, "/admin/ckan_outbox/?state=failed")
    retrying = _count(before, "/admin/ckan_outbox/?state=pending")
    now = timezone.now()
    CkanOutbox.objects.create(ckan_name="uno", action="push", state="failed", next_attempt_at=now, last_error="400")
    CkanOutbox.objects.create(ckan_name="dos", action="push", state="pending", next_attempt_at=now, last_error="503")
    CkanOutbox.objects.create(ckan_name="tres", action="push", state="pending", next_attempt_at=now)
    after = _home(client, viewer)
    assert _count(after, "/admin/ckan_outbox/?state=failed") == failed + 1
    assert _count(after, "/admin/ckan_outbox/?state=pending") == retrying + 1
    assert _deadlines_panel(after) is None


def test_labels_are_spanish_with_english_translations(client, case_worker_factory, units, cases):
    worker = case_worker_factory(units=[units[0]])
    worker_html = _home(client, worker)
    assert "1 caso vencido" in worker_html and "Plazos de tus casos" in worker_html
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(worker)
    profile.preferred_language = "en"
    profile.save()
    english = _home(client, worker)
    assert "1 overdue case" in english and "Deadlines of your cases" in english
