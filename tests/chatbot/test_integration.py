"""End to end with the real Rasa server trained from the project's data.

A module fixture creates the Rasa venv and trains the model when needed
(cached under var/ by content hash), serves the portal on a live server for
the action server, and starts Rasa and the action server on free loopback
ports. Only Meta's Graph API is mocked (respx, at the HTTP boundary).
"""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from chatbot.evaluation import Report, judge, load_examples

from .conftest import meta_message, post_webhook

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

HELDOUT = Path(__file__).resolve().parents[2] / "chatbot" / "eval" / "heldout.yaml"


@pytest.fixture(scope="module")
def rasa_url(django_db_setup, django_db_blocker):
    from django.core.cache import cache
    from pytest_django.live_server_helper import LiveServer

    from chatbot import runtime
    from cms.demo.loader import load_demo

    model = runtime.ensure_model()
    processes: list[subprocess.Popen] = []
    logs = runtime.VAR_DIR / "test-logs"
    logs.mkdir(parents=True, exist_ok=True)
    with django_db_blocker.unblock():
        load_demo()  # transactional tests elsewhere may have flushed the database
        cache.clear()
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            actions_port, rasa_port = runtime.free_port(), runtime.free_port()
            for command, env, cwd, name in (
                (*runtime.actions_command(port=actions_port, portal_url=server.url), "actions"),
                (*runtime.rasa_command(model=model, port=rasa_port, actions_port=actions_port), "rasa"),
            ):
                log = open(logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
                processes.append(
                    subprocess.Popen(
                        command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            url = f"http://127.0.0.1:{rasa_port}"
            runtime.wait_until_up(f"http://127.0.0.1:{actions_port}/health", timeout=300, process=processes[0])
            runtime.wait_until_model_loaded(url, timeout=600, process=processes[1])
            yield url
        finally:
            for process in processes:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            server._live_server_modified_settings.disable()
            server.stop()
            cache.clear()


@pytest.fixture
def with_rasa(rasa_url, settings):
    settings.RASA_URL = rasa_url
    settings.RASA_TIMEOUT = 60.0  # a loaded CI machine must not turn the test into a fallback test
    return rasa_url


def chat(client, text, sender):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def text_of(answer):
    return "\n".join(r["text"] for r in answer["replies"])


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


def test_indirect_need_resolved_through_search(client, with_rasa):
    answer = chat(client, "Mi hijo va a viajar con su tía, ¿qué papeles necesito?", "int-2")
    assert answer["engine"] == "rasa"
    assert answer["guide"]["slug"] == "autorizacion-de-viaje-de-menores"


def test_out_of_scope_and_small_talk(client, with_rasa):
    answer = chat(client, "¿Quién ganó el partido de ayer?", "int-3")
    assert answer["engine"] == "rasa"
    assert answer["guide"] is None
    assert any(r["buttons"] for r in answer["replies"])  # offers the menu
    assert chat(client, "Hola, buenos días", "int-3")["intent"] == "greet"
    assert chat(client, "gracias, eso es todo", "int-3")["guide"] is None


def test_menu_button_payload(client, with_rasa):
    answer = chat(client, '/menu_option{"menu_category": "territorio"}', "int-4")
    payloads = [b["payload"] for r in answer["replies"] for b in r["buttons"]]
    assert '/ask_requirements{"procedure": "certificado-catastral"}' in payloads


def test_unknown_complaint_code(client, with_rasa):
    answer = chat(client, "quiero saber el estado de mi reclamo RC-22222-22222", "int-5")
    assert answer["engine"] == "rasa"
    assert answer["intent"] == "complaint_status"
    assert "RC-22222-22222" in text_of(answer)


def test_bad_input_with_rasa(client, with_rasa):
    for text in ["😀🎉", "a" * 4999, "hello what do I need para el registro de mascotas"]:
        answer = chat(client, text, "int-6")
        assert answer["replies"]


def test_signed_whatsapp_message_answered_by_rasa(client, with_rasa, wa_settings, graph, on_commit):
    with on_commit():
        response = post_webhook(client, meta_message(message_id="wamid.INT1", text="cuanto cuesta el catastro"))
    assert response.status_code == 200
    bodies = [json.loads(call.request.content) for call in graph.calls]
    assert bodies and "Bs 120" in bodies[0]["text"]["body"]
    from chatbot.models import ChatExchange

    assert ChatExchange.objects.filter(channel="whatsapp", engine="rasa", guide_slug="certificado-catastral").exists()


def test_heldout_accuracy_with_rasa(client, with_rasa, settings):
    settings.AYNI_CHAT_RATE = (10_000, 60)  # one test client sends the whole held-out set
    report = Report()
    for i, example in enumerate(load_examples(str(HELDOUT))):
        report.outcomes.append(judge(example, chat(client, example["text"], f"eval-{i}")))
    assert {o.engine for o in report.outcomes} == {"rasa"}
    failures = [(o.text, o.reason) for o in report.outcomes if not o.ok]
    assert report.accuracy() >= 0.90, failures
    out_of_scope = [o for o in report.outcomes if o.expected_guide is None]
    assert all(o.got_guide is None for o in out_of_scope)
