"""The chatbot's menu in an English conversation names the categories in English (issue 14)."""

import pytest

from chatbot.services import chat_message_answer
from cms.models import GuideCategory, GuidePage

pytestmark = pytest.mark.django_db


def _buttons(answer) -> list[dict]:
    return [button for reply in answer["replies"] for button in reply["buttons"]]


def test_english_conversation_menu_shows_english_category_names():
    english = _buttons(
        chat_message_answer(sender="en-menu", text="hola", channel="web", request=None, client="x", language="en")
    )
    spanish = _buttons(
        chat_message_answer(sender="es-menu", text="hola", channel="web", request=None, client="x", language="es")
    )
    titles = [b["title"] for b in english]
    assert "Business and economic activities" in titles and "Land and cadastre" in titles
    assert "Actividades Económicas" not in titles
    assert "Actividades Económicas" in [b["title"] for b in spanish]
    # The same payloads (category slugs) in both languages.
    assert [b["payload"] for b in english] == [b["payload"] for b in spanish]


def test_english_menu_option_names_the_category_in_english():
    answer = chat_message_answer(
        sender="en-option",
        text='/menu_option{"menu_category": "actividades-economicas"}',
        channel="web",
        request=None,
        client="x",
        language="en",
    )
    assert answer["replies"][0]["text"].startswith("Business and economic activities")
    # Its guides are titled in English too (the payloads name the originals).
    titles = {button["title"] for button in answer["replies"][0]["buttons"]}
    assert "Operating licence for economic activities" in titles
    assert "Licencia de funcionamiento para actividades económicas" not in titles


def test_a_category_without_english_translation_keeps_its_name_in_the_english_menu():
    category = GuideCategory.objects.create(name="Cementerios y nichos", slug="cementerios", sort_order=0)
    GuidePage.objects.filter(slug="compra-de-nicho").update(category=category)
    answer = chat_message_answer(
        sender="en-fallback", text="hola", channel="web", request=None, client="x", language="en"
    )
    titles = [b["title"] for b in _buttons(answer)]
    assert "Cementerios y nichos" in titles and "Business and economic activities" in titles
