"""Issue 13, item 4: unanswered questions grouped, turned into guide aliases or marked handled."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission

from chatbot import selectors, services
from chatbot.models import ChatExchange, UnansweredHandled
from cms.models import GuideIndexPage, GuidePage
from cms.services import guide_add_alias
from search.selectors import similar_key

pytestmark = pytest.mark.django_db

UNANSWERED = "/admin/asistente/sin-respuesta/"
QUESTION = "kiero poner una cevicheria"


def chat(client, text, sender="vecina-1"):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def ask(text, *, days_ago=0, channel="web"):
    row = ChatExchange.objects.create(
        sender_hash="x" * 64, channel=channel, text=text, engine="fallback", answered=False
    )
    ChatExchange.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return row


def group_of(text, **kwargs):
    key = similar_key(text)
    return next((g for g in selectors.unanswered_question_groups(**kwargs) if g["key"] == key), None)


def editor_of_guides(staff_factory, *, publish: bool, chat_log: bool = True):
    """Staff with the chat log's permission who may edit the guides (and publish them if ``publish``)."""
    user = staff_factory(permissions=["chatbot.view_chatexchange"] if chat_log else [])
    group = Group.objects.create(name=f"Guías {user.pk}")
    index = GuideIndexPage.objects.get(slug="tramites", locale__language_code="es")
    for codename in ["add_page", "change_page"] + (["publish_page"] if publish else []):
        permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
        GroupPagePermission.objects.create(group=group, page=index, permission=permission)
    user.groups.add(group)
    return user


# --- grouping ----------------------------------------------------------------------------------------


def test_similar_questions_share_a_group():
    assert similar_key("¿Requisitos de la CEVICHERÍA?") == similar_key("cevicheria requisitos") == "cevicheri"
    assert similar_key("kiero poner una cevicheria") == similar_key("Quiero poner una cevichería")
    assert similar_key("poner cevicherias") == similar_key("poner una cevicheria")  # stems
    assert similar_key("horario del zoo") != similar_key("horario de la piscina")
    assert similar_key("¡Hola!") == similar_key("hola") == "hol"  # only chat stop words: the Spanish content words
    assert similar_key("de la") == "de la"  # only stop words: the words themselves


def test_groups_count_every_wording_and_show_the_latest():
    ask("¿Requisitos de la CEVICHERÍA?", days_ago=3)
    ask("cevicheria requisitos", days_ago=1)
    ask("cevicheria requisitos", days_ago=2)
    ask("horario del zoo")
    ask("cevicheria", days_ago=40)  # outside the default 30 days
    group = group_of("cevicheria")
    assert group["times"] == 3 and group["variants"] == 2 and group["text"] == "cevicheria requisitos"
    assert group_of("cevicheria", days=90)["times"] == 4
    assert group_of("horario del zoo")["times"] == 1


def test_a_handled_group_is_hidden_until_asked_again(staff_factory):
    user = staff_factory(permissions=["chatbot.view_chatexchange"])
    ask("horario del zoo", days_ago=1)
    services.unanswered_mark_handled(key=similar_key("horario del zoo"), user=user)
    assert group_of("horario del zoo") is None
    handled = group_of("horario del zoo", state="handled")
    assert handled["handled"].handled_by == user
    assert group_of("horario del zoo", state="all") is not None
    ask("Horario del Zoo")  # asked again after it was handled
    assert group_of("horario del zoo")["times"] == 2


def test_marks_older_than_the_log_retention_are_deleted(staff_factory, settings):
    settings.CHATBOT_LOG_RETENTION_DAYS = 90
    user = staff_factory(permissions=["chatbot.view_chatexchange"])
    old = UnansweredHandled.objects.create(key="vieja", handled_at=timezone.now() - timedelta(days=91))
    services.unanswered_mark_handled(key="zoo", user=user)
    assert not UnansweredHandled.objects.filter(pk=old.pk).exists()
    assert UnansweredHandled.objects.filter(key="zoo").exists()
    with pytest.raises(ValidationError):
        services.unanswered_mark_handled(key="  ", user=user)


# --- the alias service -------------------------------------------------------------------------------


def _aliases(page):
    return [alias.name for alias in page.alternative_names.all()]


def test_the_alias_is_published_once_whatever_the_accents_and_case(guide_page_factory, superuser):
    guide = guide_page_factory()
    revisions = guide.revisions.count()
    result = guide_add_alias(guide=guide, name="  Cevichería ", user=superuser)
    assert result.added and result.published and result.name == "Cevichería"
    guide = GuidePage.objects.get(pk=guide.pk)
    assert _aliases(guide) == ["Cevichería"] and not guide.has_unpublished_changes
    assert guide.revisions.count() == revisions + 1
    again = guide_add_alias(guide=guide, name="CEVICHERIA", user=superuser)
    assert not again.added and again.published
    assert guide.revisions.count() == revisions + 1  # nothing saved
    assert not guide_add_alias(guide=guide, name=guide.title.upper(), user=superuser).added  # its title is a name
    with pytest.raises(ValidationError):
        guide_add_alias(guide=guide, name="   ", user=superuser)


def test_a_pending_draft_is_not_published_with_the_alias(guide_page_factory, superuser):
    guide = guide_page_factory(title="Permiso de feria")
    draft = guide.get_latest_revision_as_object()
    draft.summary = "Cambio en borrador todavía no revisado."
    draft.save_revision(user=superuser)
    guide_add_alias(guide=guide, name="kermés", user=superuser)
    guide = GuidePage.objects.get(pk=guide.pk)
    assert _aliases(guide) == ["kermés"] and guide.summary != draft.summary  # live: the alias, not the draft
    latest = guide.get_latest_revision_as_object()
    assert guide.has_unpublished_changes and latest.summary == draft.summary and _aliases(latest) == ["kermés"]


def test_without_publish_permission_the_alias_waits_in_a_draft(guide_page_factory, staff_factory, staff):
    guide = guide_page_factory()
    editor = editor_of_guides(staff_factory, publish=False)
    result = guide_add_alias(guide=guide, name="cevichería", user=editor)
    assert result.added and not result.published
    guide = GuidePage.objects.get(pk=guide.pk)
    assert _aliases(guide) == [] and guide.has_unpublished_changes
    assert _aliases(guide.get_latest_revision_as_object()) == ["cevichería"]
    assert not guide_add_alias(guide=guide, name="CEVICHERIA", user=editor).added
    with pytest.raises(PermissionDenied):
        guide_add_alias(guide=guide, name="otra", user=staff)  # may not edit guides at all


def test_the_alias_is_all_or_nothing(guide_page_factory, superuser, monkeypatch):
    from wagtail.models import Revision

    guide = guide_page_factory()
    revisions = guide.revisions.count()

    def fail(self, *args, **kwargs):
        raise RuntimeError("publishing failed")

    monkeypatch.setattr(Revision, "publish", fail)
    with pytest.raises(RuntimeError):
        guide_add_alias(guide=guide, name="cevichería", user=superuser)
    assert guide.revisions.count() == revisions  # the revision saved before publishing was rolled back


# --- the screen, role by role ------------------------------------------------------------------------


def test_only_the_chat_log_readers_see_and_act(client, staff_factory, verified_citizen, guide_page_factory):
    ask("horario del zoo")
    key = similar_key("horario del zoo")
    guide = guide_page_factory()
    alias_url = reverse("chatbot_unanswered_alias") + f"?clave={key}"
    handled_url = reverse("chatbot_unanswered_handled")
    for user in (verified_citizen, staff_factory(), editor_of_guides(staff_factory, publish=True, chat_log=False)):
        client.force_login(user)
        assert client.get(UNANSWERED).status_code in (302, 403)
        assert client.get(alias_url).status_code in (302, 403)
        assert client.post(alias_url, {"guide": guide.pk, "name": "zoo"}).status_code in (302, 403)
        assert client.post(handled_url, {"clave": key}).status_code in (302, 403)
    assert not UnansweredHandled.objects.exists() and _aliases(GuidePage.objects.get(pk=guide.pk)) == []

    # A log reader who may not edit guides sees the list and marks groups handled, but has no guide to choose.
    reader = staff_factory(permissions=["chatbot.view_chatexchange"])
    client.force_login(reader)
    page = client.get(UNANSWERED).content.decode()
    assert "horario del zoo" in page and "Añadir como alias de una guía" in page
    form = client.get(alias_url).content.decode()
    assert f'<option value="{guide.pk}"' not in form
    assert client.post(alias_url, {"guide": guide.pk, "name": "zoo"}).status_code == 400
    assert _aliases(GuidePage.objects.get(pk=guide.pk)) == []
    response = client.post(handled_url, {"clave": key, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == UNANSWERED
    assert UnansweredHandled.objects.get(key=key).handled_by == reader
    assert "«horario del zoo» se marcó como atendida" in client.get(UNANSWERED).content.decode()
    assert "horario del zoo" not in client.get(UNANSWERED).content.decode()
    handled = client.get(UNANSWERED, {"estado": "handled"}).content.decode()
    assert "horario del zoo" in handled and "Atendida" in handled
    assert client.post(handled_url, {"clave": "no existe"}).status_code == 404

    # An editor who may edit but not publish: the alias goes to a draft and the group stays pending.
    editor = editor_of_guides(staff_factory, publish=False)
    client.force_login(editor)
    ask("piscina municipal")
    key = similar_key("piscina municipal")
    response = client.post(
        reverse("chatbot_unanswered_alias"), {"clave": key, "guide": guide.pk, "name": "piscina"}, follow=True
    )
    assert "borrador" in response.content.decode()
    assert _aliases(GuidePage.objects.get(pk=guide.pk)) == []
    assert not UnansweredHandled.objects.filter(key=key).exists()


# --- end to end: an unanswered question becomes an alias and the bot answers it ------------------------


def test_an_unanswered_question_becomes_an_alias_and_the_bot_answers_it(client, staff_factory):
    answer = chat(client, QUESTION)
    assert answer["guide"] is None
    assert ChatExchange.objects.filter(text=QUESTION, answered=False).exists()

    editor = editor_of_guides(staff_factory, publish=True)
    client.force_login(editor)
    listing = client.get(UNANSWERED).content.decode()
    assert QUESTION in listing
    key = similar_key(QUESTION)
    form = client.get(reverse("chatbot_unanswered_alias"), {"clave": key}).content.decode()
    assert "cevicheria" in form  # the suggested name: the question's content words
    guide = GuidePage.objects.get(slug="licencia-de-funcionamiento")
    response = client.post(
        reverse("chatbot_unanswered_alias"), {"clave": key, "guide": guide.pk, "name": "cevichería"}, follow=True
    )
    assert response.status_code == 200
    assert "el asistente y el buscador ya lo usan" in response.content.decode()
    assert QUESTION not in client.get(UNANSWERED).content.decode()  # handled
    mark = UnansweredHandled.objects.get(key=key)
    assert mark.guide_id == guide.pk and mark.alias == "cevichería" and mark.handled_by == editor

    client.logout()
    answer = chat(client, QUESTION, sender="vecina-2")
    assert answer["guide"]["slug"] == "licencia-de-funcionamiento"
    assert ChatExchange.objects.filter(text=QUESTION, answered=True).exists()
