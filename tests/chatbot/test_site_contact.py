"""The bot's 800 line, hours and municipality come from the portal settings staff edit (cms.PortalSettings)."""

import pytest

from cms.models import PortalSettings

pytestmark = pytest.mark.django_db


def chat(client, text, sender="vecino-contacto"):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def reply_text(answer) -> str:
    return "\n".join(r["text"] for r in answer["replies"])


@pytest.fixture
def new_line():
    record = PortalSettings.load()
    record.phone = "800-10-7777"
    record.hours = "lunes a sábado de 07:00 a 19:00"
    record.save()
    return record


def test_the_bot_gives_the_800_line_staff_set(client, new_line):
    answer = chat(client, "cuanto esta el dolar")  # out of scope: the bot points to the 800 line
    assert answer["engine"] == "fallback" and answer["guide"] is None
    text = reply_text(answer)
    assert "800-10-7777" in text and "800-13-5555" not in text


def test_asked_for_a_person_the_bot_gives_the_line_and_its_hours(client, new_line):
    answer = chat(client, "eres un robot?")
    assert answer["intent"] == "bot_challenge"
    assert "800-10-7777 (lunes a sábado de 07:00 a 19:00)" in reply_text(answer)


def test_without_hours_the_line_alone(client, new_line):
    new_line.hours = ""
    new_line.save()
    text = reply_text(chat(client, "eres un robot?"))
    assert "llama gratis al 800-10-7777." in text


def test_an_urgent_message_names_the_municipal_line_staff_set(client, new_line):
    text = reply_text(chat(client, "hay un derrumbe en mi calle"))
    assert "800-10-7777" in text


def test_in_english_the_same_line(client, new_line):
    response = client.post(
        "/api/chat/",
        {"sender": "visitor-contact", "text": "who won the match?", "lang": "en"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert "800-10-7777" in reply_text(response.json())
