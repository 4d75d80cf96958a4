"""Training data generated from the guides; the widget on every page; the admin view; text helpers."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from chatbot import texts
from chatbot.export import build_training_data, guide_names
from chatbot.models import ChatExchange
from chatbot.selectors import guide_catalogue
from chatbot.services import chat_log_purge
from chatbot.understanding import detect_asks, find_tracking_code
from search.analysis import chat_content_words, chat_normalize


@pytest.mark.django_db
def test_the_training_project_is_generated_from_the_guides(tmp_path, monkeypatch):
    from chatbot import runtime

    monkeypatch.setattr(runtime, "PROJECT", tmp_path / "project")
    call_command("chatbot_export")
    project = tmp_path / "project"
    assert (project / "data" / "guides.yml").read_text(encoding="utf-8") == build_training_data(guide_catalogue())
    assert (project / "data" / "nlu.yml").read_bytes() == (runtime.RASA_DIR / "data" / "nlu.yml").read_bytes()
    assert (project / "config.yml").read_bytes() == (runtime.RASA_DIR / "config.yml").read_bytes()
    before = runtime.training_hash()
    assert runtime.write_project(build_training_data(guide_catalogue())) is False  # unchanged: no retrain
    assert runtime.training_hash() == before
    assert not (runtime.RASA_DIR / "data" / "guides.yml").exists()  # generated, never committed


@pytest.mark.django_db
def test_a_new_alias_reaches_the_training_data(tmp_path):
    from cms.models import GuidePage
    from cms.models.guides import GuideAlias

    page = GuidePage.objects.get(slug="compra-de-nicho")
    page.alternative_names.add(GuideAlias(name="mausoleo familiar"))
    page.save_revision().publish()
    out = tmp_path / "guides.yml"
    call_command("chatbot_export", output=str(out))
    import yaml

    nlu = yaml.safe_load(out.read_text(encoding="utf-8"))["nlu"]
    synonyms = next(item for item in nlu if item.get("synonym") == "compra-de-nicho")["examples"]
    lookup = next(item for item in nlu if item.get("lookup") == "procedure")["examples"]
    assert "- mausoleo familiar" in synonyms
    assert "- mausoleo familiar" in lookup


def test_guide_names_have_unaccented_variants():
    names = guide_names(
        {"title": "Permiso de construcción (aprobación de planos)", "aliases": ["licencia de construcción"]}
    )
    assert "permiso de construcción" in names and "permiso de construccion" in names
    assert "licencia de construccion" in names
    assert not any("(" in n for n in names)


@pytest.mark.django_db
def test_widget_is_on_every_page_and_cacheable(client):
    assert client.get("/").status_code == 200
    client.get("/tramites/licencia-de-funcionamiento/")
    second = client.get("/tramites/licencia-de-funcionamiento/")
    html = second.content.decode()
    assert 'id="chat-log"' in html and 'aria-live="polite"' in html and 'role="log"' in html
    assert 'aria-controls="chat-panel"' in html and '<label for="chat-input"' in html
    assert "/static/js/chat.js" in html
    assert second["X-Ayni-Cache"] == "hit"  # the widget keeps the page cacheable (no per-user state)
    assert 'id="chat-toggle"' in client.get("/").content.decode()


@pytest.mark.django_db
def test_unanswered_questions_admin(client, django_user_model):
    for _ in range(2):
        ChatExchange.objects.create(
            sender_hash="x", channel="web", text="cuanto cuesta el pasaje", engine="rasa", answered=False
        )
    ChatExchange.objects.create(sender_hash="x", channel="web", text="ya contestada", engine="rasa", answered=True)
    editor = django_user_model.objects.create_user("editor", password="x")
    from django.contrib.auth.models import Permission

    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    assert client.get("/admin/asistente/sin-respuesta/").status_code in (302, 403)
    editor.user_permissions.add(Permission.objects.get(codename="view_chatexchange"))
    editor = django_user_model.objects.get(pk=editor.pk)
    client.force_login(editor)
    response = client.get("/admin/asistente/sin-respuesta/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "cuanto cuesta el pasaje" in body and "ya contestada" not in body


@pytest.mark.django_db
def test_log_retention():
    old = ChatExchange.objects.create(sender_hash="x", channel="web", text="vieja", engine="rasa")
    ChatExchange.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    ChatExchange.objects.create(sender_hash="x", channel="web", text="nueva", engine="rasa")
    assert chat_log_purge(days=90) == 1
    assert list(ChatExchange.objects.values_list("text", flat=True)) == ["nueva"]


def test_normalisation_and_asks():
    assert chat_normalize("Q necesito pa la Licencia?") == "que necesito para la licencia"
    assert detect_asks("cuanto cuesta el catastro") == "cost"
    assert detect_asks("cuantos dias tarda") == "duration"
    assert detect_asks("donde queda la oficina") == "office"
    assert detect_asks("se puede por internet") == "online"
    assert detect_asks("q papeles piden") == "requirements"
    assert chat_content_words("y cuanto cuesta?") == []
    assert find_tracking_code("mi codigo es rc 7k4mx 2q9pa") == "RC-7K4MX-2Q9PA"


def test_compose_fact_reads_every_field():
    guide = {
        "title": "Compra de nicho",
        "url": "http://x/nicho/",
        "requirements": [{"text": "Certificado de defunción", "note": "original"}],
        "cost": {"amount_bs": "1500.00", "text": ""},
        "duration": {"business_days": 1, "text": ""},
        "office": {"name": "Administración del Cementerio", "address": "Av. Baptista", "hours": "8 a 16", "phone": "2"},
        "online": {"available": False, "url": ""},
    }
    assert "• Certificado de defunción (original)" in texts.fact(guide, "requirements")
    assert "Bs 1.500" in texts.fact(guide, "cost")
    assert "1 días hábiles" in texts.fact(guide, "duration")
    office = texts.fact(guide, "office")
    assert "Av. Baptista" in office and "Horario: 8 a 16" in office
    assert texts.fact(guide, "online").startswith("No,")
    assert texts.fact(guide, "cost").endswith("http://x/nicho/")
