"""Urgent first: violence, a child in danger, an emergency get the emergency lines, never a guide."""

from pathlib import Path

import httpx
import pytest
import respx
import yaml

from chatbot.urgent import CHILD, DISASTER, HEALTH, SELF_HARM, VIOLENCE, detect

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def chat(client, text, sender="vecina-urgente"):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize(
    ("text", "kind", "line"),
    [
        ("mi esposo me golpea y no se a donde ir", VIOLENCE, "SLIM"),
        ("Mi marido me pegó anoche, tengo miedo", VIOLENCE, "FELCV"),
        ("sufro violencia en mi casa q hago", VIOLENCE, "110"),
        ("mi vecino maltrata a su wawa todos los dias", CHILD, "Defensoría de la Niñez"),
        ("hay una niña abandonada en la plaza", CHILD, "110"),
        ("mi papa no respira ayuda", HEALTH, "118"),
        ("necesito una ambulancia urgente", HEALTH, "118"),
        ("hay un incendio en mi calle", DISASTER, "119"),
        ("cayo una mazamorra en el barrio", DISASTER, "119"),
        ("ya no quiero vivir", SELF_HARM, "118"),
    ],
)
def test_urgent_messages_get_the_emergency_lines_and_no_guide(client, text, kind, line):
    assert detect(text) == kind
    answer = chat(client, text)
    assert answer["intent"] == f"urgent_{kind}"
    assert answer["guide"] is None
    assert line in "\n".join(r["text"] for r in answer["replies"])


def test_urgent_comes_before_rasa(client, settings):
    """With Rasa up, the urgent answer is given without asking it (so neither engine can pick a guide)."""
    settings.RASA_URL = "http://rasa.test:5005"
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(url__startswith="http://rasa.test:5005/").mock(
            return_value=httpx.Response(200, json=[{"recipient_id": "x", "text": "Depósito de vehículos: requisitos"}])
        )
        answer = chat(client, "mi esposo me golpea y no se a donde ir")
    assert not route.called
    assert answer["intent"] == "urgent_violence" and answer["guide"] is None


@pytest.mark.parametrize(
    "text",
    [
        "permiso de viaje de menores q papeles",
        "mi hijo viaja con su tía q papeles",
        "como saco el certificado de no violencia",
        "registro de mascotas para mi perro",
        "pa poner un bar q permiso necesito",
        "quiero denunciar a un funcionario por cobro indebido",
        "se inunda mi calle cada vez que llueve, quiero hacer un reclamo",
    ],
)
def test_procedure_questions_are_not_urgent(text):
    assert detect(text) is None


def test_no_held_out_or_training_question_is_taken_for_an_emergency():
    examples = yaml.safe_load((ROOT / "chatbot" / "eval" / "heldout.yaml").read_text())["examples"]
    assert [e["text"] for e in examples if detect(e["text"])] == []
