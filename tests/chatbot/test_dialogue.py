"""The one answerer with both understandings; the conversation's state in the database.

Rasa's side is exercised for real in test_integration.py; here its ``/model/parse``
answer is given at the HTTP boundary (respx), shaped like Rasa 3.6's.
"""

from types import SimpleNamespace

import httpx
import pytest
from django.core.management import call_command

from chatbot import rasa_client, resolver, services
from chatbot.models import ChatExchange, Conversation
from cms.models import GuidePage

pytestmark = pytest.mark.django_db


def chat(client, text, sender="dlg-1", **extra):
    response = client.post("/api/chat/", {"sender": sender, "text": text, **extra}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def text_of(answer) -> str:
    return "\n".join(r["text"] for r in answer["replies"])


@pytest.fixture
def rasa(settings, respx_mock):
    """A Rasa NLU server at the HTTP boundary: ``rasa.answer(intent, confidence, entities)`` sets its parse."""
    settings.CHATBOT_RASA_ENABLED = True
    settings.RASA_URL = "http://rasa.test:5005"
    rasa_client.reset()
    state = {"intent": "nlu_fallback", "confidence": 0.9, "entities": []}

    def parse(request):
        import json

        text = json.loads(request.content)["text"]
        return httpx.Response(
            200,
            json={
                "text": text,
                "intent": {"name": state["intent"], "confidence": state["confidence"]},
                "entities": state["entities"],
                "intent_ranking": [{"name": state["intent"], "confidence": state["confidence"]}],
            },
        )

    route = respx_mock.post("http://rasa.test:5005/model/parse").mock(side_effect=parse)

    class Handle:
        calls = route

        @staticmethod
        def answer(intent, confidence=0.9, entities=()):
            state.update(intent=intent, confidence=confidence, entities=list(entities))

    yield Handle
    rasa_client.reset()


def test_rasa_intent_and_entity_answered_by_the_portal(client, rasa):
    rasa.answer(
        "ask_cost",
        entities=[{"entity": "procedure", "value": "compra-de-nicho", "start": 14, "end": 19, "extractor": "x"}],
    )
    answer = chat(client, "cuanto cuesta un nicho")
    assert answer["engine"] == "rasa" and answer["intent"] == "ask_cost"
    assert answer["guide"]["slug"] == "compra-de-nicho"
    assert "Bs 1.500" in text_of(answer)
    assert rasa.calls.call_count == 1


def test_rasa_out_of_scope_declines_without_a_guide(client, rasa):
    rasa.answer("out_of_scope", 0.95)
    answer = chat(client, "cuentame un chiste de loros")
    assert answer["engine"] == "rasa" and answer["intent"] == "out_of_scope"
    assert answer["guide"] is None and answer["options"] == []


def test_low_rasa_confidence_is_not_an_answer(client, rasa):
    rasa.answer("ask_cost", 0.1)
    answer = chat(client, "zxqw brrr")
    assert answer["guide"] is None and answer["intent"] == "nlu_fallback"


def test_both_understandings_give_the_same_answer(client, rasa, settings):
    rasa.answer("ask_requirements")
    with_rasa = chat(client, "q necesito pa registrar a mi perro", sender="a")
    settings.CHATBOT_RASA_ENABLED = False
    fallback = chat(client, "q necesito pa registrar a mi perro", sender="b")
    assert with_rasa["engine"] == "rasa" and fallback["engine"] == "fallback"
    assert with_rasa["replies"] == fallback["replies"]
    assert with_rasa["guide"] == fallback["guide"] and with_rasa["guide"]["slug"] == "registro-de-mascotas"


def test_rasa_down_falls_back_and_is_tried_again_later(client, settings, respx_mock):
    settings.CHATBOT_RASA_ENABLED = True
    settings.RASA_URL = "http://rasa.test:5005"
    settings.CHATBOT_RASA_RETRY_SECONDS = 3600
    rasa_client.reset()
    route = respx_mock.post("http://rasa.test:5005/model/parse").mock(side_effect=httpx.ConnectError("refused"))
    assert chat(client, "cuanto cuesta el catastro")["engine"] == "fallback"
    assert chat(client, "y cuanto tarda?")["engine"] == "fallback"
    assert route.call_count == 1  # paused after the failure: no waiting on a dead Rasa
    rasa_client.reset()  # the pause is over
    route.mock(return_value=httpx.Response(200, json={"intent": {"name": "ask_office", "confidence": 0.9}}))
    back = chat(client, "y donde es?")
    assert back["engine"] == "rasa" and back["guide"]["slug"] == "certificado-catastral"
    rasa_client.reset()


def test_state_lives_in_the_database(client):
    chat(client, "cuanto cuesta un nicho", sender="estado")
    conversation = Conversation.objects.get()
    assert conversation.last_guide == "compra-de-nicho"
    assert conversation.sender_hash == services.sender_hash(channel="api", sender="estado")
    follow = chat(client, "y donde queda?", sender="estado")
    assert follow["guide"]["slug"] == "compra-de-nicho" and follow["intent"] == "ask_office"
    # Another conversation has its own state.
    assert chat(client, "y donde queda?", sender="otra")["guide"] is None


def test_idle_state_is_forgotten_and_purged(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    chat(client, "cuanto cuesta un nicho", sender="idle")
    Conversation.objects.update(
        updated_at=timezone.now() - timedelta(minutes=settings.CHATBOT_CONVERSATION_MINUTES + 1)
    )
    assert chat(client, "y donde queda?", sender="idle")["guide"] is None
    Conversation.objects.update(updated_at=timezone.now() - timedelta(days=1))
    assert services.purge_expired()["conversations"] == 1
    assert not Conversation.objects.exists()


@pytest.fixture
def twins(client):
    """Two near-twin guides, so that a question about "the licence" is too close to call."""
    from cms.services import GuideData, guide_upsert

    index = GuidePage.objects.get(slug="licencia-de-funcionamiento").get_parent().specific
    for slug, title in (
        ("licencia-discoteca-residencial", "Licencia de discoteca en zona residencial"),
        ("licencia-discoteca-comercial", "Licencia de discoteca en zona comercial"),
    ):
        guide_upsert(
            data=GuideData(
                slug=slug,
                title=title,
                summary="Trámite de la licencia de funcionamiento de una discoteca.",
                requirements=("Licencia vigente",),
                office="Ventanilla Única de Trámites",
                category="Actividades Económicas",
                cost_text="Según la superficie del local",
                duration_text="Cinco días hábiles",
                steps=("Presentar la solicitud en ventanilla",),
            ),
            index=index,
            publish=True,
        )
    resolver.reset_index()
    yield
    resolver.reset_index()


def test_close_guides_get_a_clarifying_question(client, twins):
    answer = chat(client, "cuanto cuesta la licencia de discoteca", sender="twins")
    assert answer["guide"] is None
    slugs = [o["slug"] for o in answer["options"]]
    assert {"licencia-discoteca-residencial", "licencia-discoteca-comercial"} <= set(slugs)
    assert 2 <= len(slugs) <= 3
    buttons = answer["replies"][0]["buttons"]
    assert [b["title"] for b in buttons] == [o["title"] for o in answer["options"]]
    assert all(b["payload"].startswith("/ask_cost{") for b in buttons)  # the original question
    # A button press answers the original question about the chosen guide.
    chosen = chat(client, buttons[1]["payload"], sender="twins")
    assert chosen["guide"]["slug"] == slugs[1] and chosen["intent"] == "ask_cost"
    assert chosen["engine"] == "button"


def test_an_option_can_be_typed(client, twins):
    answer = chat(client, "requisitos licencia de discoteca", sender="typed")
    slugs = [o["slug"] for o in answer["options"]]
    assert slugs
    assert Conversation.objects.get().options == slugs
    picked = chat(client, "la segunda", sender="typed")
    assert picked["guide"]["slug"] == slugs[1] and picked["intent"] == "ask_requirements"
    assert Conversation.objects.get().options == []


def test_none_of_the_options(client, twins):
    chat(client, "requisitos licencia de discoteca", sender="none")
    answer = chat(client, "ninguno", sender="none")
    assert answer["guide"] is None and answer["intent"] == "none_of_these"


@pytest.mark.parametrize(
    "text",
    ["como saco mi carnet de identidad", "requisitos para sacar pasaporte", "donde saco la licencia de conducir"],
)
def test_national_procedures_get_no_guide(client, text):
    answer = chat(client, text)
    assert answer["guide"] is None and answer["options"] == []
    assert answer["intent"] == "out_of_scope"
    assert "carnet de identidad" in text_of(answer)


def test_a_municipal_question_that_mentions_the_carnet_is_answered(client):
    answer = chat(client, "llevo fotocopia de carnet para la licencia de funcionamiento?")
    assert answer["guide"]["slug"] == "licencia-de-funcionamiento"


def test_english_conversation_gets_english_answers(client):
    answer = chat(client, "hola", sender="en-1", lang="en")
    assert answer["intent"] == "greet"
    assert "Hello" in text_of(answer) or "Hi" in text_of(answer)
    # The language is remembered by the conversation.
    assert Conversation.objects.get().language == "en"
    assert "Hello" in text_of(chat(client, "hola", sender="en-1")) or "Hi" in text_of(
        chat(client, "hola", sender="en-1")
    )


def test_retraining_is_requested_once_per_burst(settings, django_capture_on_commit_callbacks, monkeypatch):
    from chatbot import tasks

    settings.CHATBOT_RETRAIN = True
    enqueued = []
    monkeypatch.setattr(tasks, "rasa_retrain", SimpleNamespace(enqueue=lambda: enqueued.append(1)))
    with django_capture_on_commit_callbacks(execute=True):
        for page in GuidePage.objects.live()[:3]:
            page.save_revision().publish()
    assert enqueued == [1]


def test_retraining_writes_the_project_and_skips_an_unchanged_model(tmp_path, monkeypatch):
    from chatbot import runtime

    monkeypatch.setattr(runtime, "PROJECT", tmp_path / "project")
    monkeypatch.setattr(runtime, "MODELS", tmp_path / "models")
    monkeypatch.setattr(runtime, "VENV", tmp_path / "no-venv")
    assert services.rasa_retrain() == "no-venv"
    assert (tmp_path / "project" / "data" / "guides.yml").exists()
    runtime.MODELS.mkdir()
    runtime.model_path().write_bytes(b"model")  # a model for exactly this data already exists
    assert services.rasa_retrain() == "unchanged"


def test_logged_engine_and_state_for_buttons(client):
    chat(client, '/ask_cost{"procedure":"compra-de-nicho"}', sender="btn")
    exchange = ChatExchange.objects.get()
    assert exchange.engine == "button" and exchange.guide_slug == "compra-de-nicho"
    call_command("chatbot_purge_log")
