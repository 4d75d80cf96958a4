"""End to end with the real Rasa NLU server trained from the project's data.

A module fixture creates the Rasa venv and trains the NLU model when needed
(cached under var/ by content hash) and starts Rasa on a free loopback port.
Rasa only understands (``/model/parse``); the portal answers in process. Only
Meta's Graph API is mocked (respx, at the HTTP boundary).
"""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from chatbot import rasa_client, runtime
from chatbot.evaluation import Report, judge, load_examples
from chatbot.models import ChatExchange, Conversation
from chatbot.understanding import message_language

from .conftest import meta_message, post_webhook

pytestmark = [pytest.mark.integration, pytest.mark.embedded_only, pytest.mark.django_db]

HELDOUT = Path(__file__).resolve().parents[2] / "chatbot" / "eval" / "heldout.yaml"


class RasaServer:
    """The Rasa NLU server as a child process that a test may stop and start again."""

    def __init__(self, model: Path):
        self.model = model
        self.port = runtime.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.logs = runtime.VAR_DIR / "test-logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        command, env, cwd = runtime.rasa_command(model=self.model, port=self.port)
        log = open(self.logs / "rasa.log", "a")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        runtime.wait_until_model_loaded(self.url, timeout=600, process=self.process)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@pytest.fixture(scope="module")
def rasa_server(django_db_setup, django_db_blocker):
    from django.core.cache import cache
    from django.core.management import call_command

    from cms.demo.loader import load_demo

    with django_db_blocker.unblock():
        load_demo()  # transactional tests elsewhere may have flushed the database
        cache.clear()
        call_command("chatbot_export")  # the training project, generated from the guides
    server = RasaServer(runtime.ensure_model())
    try:
        server.start()
        yield server
    finally:
        server.stop()
        cache.clear()


@pytest.fixture
def with_rasa(rasa_server, settings):
    settings.RASA_URL = rasa_server.url
    settings.RASA_TIMEOUT = 60.0  # a loaded CI machine must not turn the test into a fallback test
    settings.CHATBOT_RASA_RETRY_SECONDS = 0
    rasa_client.reset()
    if rasa_server.process is None or rasa_server.process.poll() is not None:
        rasa_server.start()
    yield rasa_server
    rasa_client.reset()


def chat(client, text, sender):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def text_of(answer):
    return "\n".join(r["text"] for r in answer["replies"])


def test_rasa_serves_only_language_understanding(with_rasa):
    parsed = rasa_client.parse(text="q necesito pa sacar licencia de funcionamiento")
    assert parsed["intent"]["name"] == "ask_requirements"
    assert {"text", "intent", "entities", "intent_ranking"} <= set(parsed)
    assert not (runtime.RASA_DIR / "domain.yml").exists()  # no dialogue model, no action server


def test_requirements_then_follow_up(client, with_rasa):
    answer = chat(client, "q necesito pa sacar licencia de funcionamiento", "int-1")
    assert answer["engine"] == "rasa"
    assert answer["intent"] == "ask_requirements"
    assert answer["guide"]["slug"] == "licencia-de-funcionamiento"
    assert "Croquis de ubicación del establecimiento" in text_of(answer)
    follow = chat(client, "¿y cuánto cuesta?", "int-1")
    assert follow["engine"] == "rasa"
    assert follow["intent"] == "ask_cost"
    assert follow["guide"]["slug"] == "licencia-de-funcionamiento"
    assert "Bs 50 por formulario" in text_of(follow)


def test_indirect_need(client, with_rasa):
    answer = chat(client, "Mi hijo va a viajar con su tía, ¿qué papeles necesito?", "int-2")
    assert answer["engine"] == "rasa"
    assert answer["guide"]["slug"] == "autorizacion-de-viaje-de-menores"


@pytest.mark.parametrize(
    "text", ["¿Quién ganó el partido de ayer?", "como saco mi carnet de identidad", "requisitos para el pasaporte"]
)
def test_out_of_scope_gets_no_guide(client, with_rasa, text):
    answer = chat(client, text, "int-3")
    assert answer["engine"] == "rasa"
    assert answer["guide"] is None and answer["options"] == []
    assert any(r["buttons"] for r in answer["replies"])  # offers the menu


def test_small_talk(client, with_rasa):
    assert chat(client, "Hola, buenos días", "int-3b")["intent"] == "greet"
    assert chat(client, "gracias, eso es todo", "int-3b")["guide"] is None


def test_menu_button_payload(client, with_rasa):
    answer = chat(client, '/menu_option{"menu_category": "territorio-y-catastro"}', "int-4")
    payloads = [b["payload"] for r in answer["replies"] for b in r["buttons"]]
    assert '/ask_requirements{"procedure":"certificado-catastral"}' in payloads


def test_complaint_status_in_process(client, with_rasa):
    from participation.models import MunicipalUnit
    from participation.services.complaints import complaint_create

    unit = MunicipalUnit.objects.first()
    case, _new = complaint_create(kind="reclamo", unit=unit, subject="Bache", description="Un bache grande.")
    answer = chat(client, f"quiero saber el estado de mi reclamo {case.code}", "int-5")
    assert answer["engine"] == "rasa" and answer["intent"] == "complaint_status"
    assert case.code in text_of(answer) and str(case.get_status_display()) in text_of(answer)
    unknown = chat(client, "estado de mi reclamo RC-22222-22222", "int-5")
    assert "No encontré" in text_of(unknown)


def test_bad_input_with_rasa(client, with_rasa):
    for text in ["😀🎉", "a" * 4999, "hello what do I need para el registro de mascotas"]:
        answer = chat(client, text, "int-6")
        assert answer["replies"]


def test_signed_whatsapp_text_and_interactive_reply(client, with_rasa, wa_settings, graph, on_commit):
    with on_commit():
        response = post_webhook(client, meta_message(message_id="wamid.INT1", text="cuanto cuesta el catastro"))
    assert response.status_code == 200
    bodies = [json.loads(call.request.content) for call in graph.calls]
    assert bodies and "Bs 120" in bodies[0]["text"]["body"]
    assert ChatExchange.objects.filter(channel="whatsapp", engine="rasa", guide_slug="certificado-catastral").exists()
    reply = {
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": '/ask_office{"procedure":"certificado-catastral"}', "title": "Certificado"},
        }
    }
    with on_commit():
        post_webhook(client, meta_message(message_id="wamid.INT2", kind="interactive", text=None, extra=reply))
    last = json.loads(graph.calls[-1].request.content)
    assert "se tramita en" in last["text"]["body"]


def test_killing_rasa_mid_conversation(client, with_rasa, settings):
    first = chat(client, "cuanto cuesta el certificado catastral", "int-7")
    assert first["engine"] == "rasa" and first["guide"]["slug"] == "certificado-catastral"
    with_rasa.stop(signal.SIGKILL)
    settings.RASA_TIMEOUT = 2.0
    follow = chat(client, "y donde se tramita?", "int-7")
    assert follow["engine"] == "fallback"
    assert follow["guide"]["slug"] == "certificado-catastral"  # the state lives in the database
    assert Conversation.objects.filter(last_guide="certificado-catastral").exists()
    with_rasa.start()  # Rasa comes back: used again, the portal is not restarted
    settings.RASA_TIMEOUT = 60.0
    back = chat(client, "y cuanto tarda?", "int-7")
    assert back["engine"] == "rasa" and back["guide"]["slug"] == "certificado-catastral"


def test_a_new_model_is_loaded_without_a_restart(with_rasa):
    rasa_client.load_model(model_path=str(with_rasa.model))
    assert rasa_client.parse(text="hola")["intent"]["name"] == "greet"


def test_heldout_accuracy_with_rasa(client, with_rasa, settings):
    settings.AYNI_CHAT_RATE = (10_000, 60)  # one test client sends the whole held-out set
    report = Report()
    for i, example in enumerate(load_examples(str(HELDOUT))):
        report.outcomes.append(judge(example, chat(client, example["text"], f"eval-{i}")))
    # Rasa's model is Spanish: a question clearly in English is read by the built-in understanding.
    english = {o.text for o in report.outcomes if message_language(o.text) == "en"}
    assert {o.engine for o in report.outcomes if o.text not in english} == {"rasa"}
    assert {o.engine for o in report.outcomes if o.text in english} <= {"fallback"}
    failures = [(o.text, o.reason) for o in report.outcomes if not o.ok]
    assert report.accuracy() >= 0.95, failures
    assert report.summary()["out_of_scope_answered"] == 0
