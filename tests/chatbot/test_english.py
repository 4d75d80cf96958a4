"""The chat in English (issue 14): the language of the page, or of the message when it is clearly English.

English questions are read by the built-in understanding (Rasa's model is Spanish) and the
guides ranked by the portal search over their English translations; the answer gives the
facts of the guide's English translation, or the original's with a note when it has none.
"""

import pytest

from chatbot import understanding
from chatbot.models import Conversation
from cms.models import GuidePage
from tests.chatbot.test_dialogue import chat, text_of

pytestmark = pytest.mark.django_db

GUIDE = "licencia-de-funcionamiento"


def _english(slug: str) -> GuidePage:
    original = GuidePage.objects.get(slug=slug, locale__language_code="es")
    return GuidePage.objects.live().get(translation_key=original.translation_key, locale__language_code="en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What do I need for a business licence?", "en"),
        ("hello", "en"),
        ("how much is it", "en"),
        ("q necesito pa la patente", "es"),
        ("licencia de funcionamiento", "es"),
        ("hola, cuanto cuesta", "es"),
        ("2", None),
        ("ok", None),
    ],
)
def test_the_language_a_message_is_written_in(text, expected):
    assert understanding.message_language(text) == expected


def test_an_english_question_on_an_english_page_gets_the_english_translation_s_facts(client):
    english = _english(GUIDE)
    answer = chat(client, "What do I need for an operating licence for my shop?", lang="en")
    assert answer["guide"]["slug"] == GUIDE  # the conversation remembers the original
    assert "/en/" in answer["guide"]["url"]
    text = text_of(answer)
    assert text.startswith(f"Requirements for “{english.title}”")
    for requirement in english.requirements.all():
        assert requirement.text in text
    assert "only available in Spanish" not in text


def test_a_clearly_english_message_without_a_page_language_is_answered_in_english(client):
    english = _english(GUIDE)
    answer = chat(client, "how much does the operating licence cost?", sender="wa-like")
    assert answer["guide"]["slug"] == GUIDE
    assert english.cost_text.rstrip(".") in text_of(answer)
    assert Conversation.objects.get().language == "en"
    # A follow-up that does not say its language stays in English, about the same guide.
    follow = chat(client, "where?", sender="wa-like")
    assert follow["guide"]["slug"] == GUIDE
    assert "is handled at" in text_of(follow)
    # A clearly Spanish message turns the conversation back to Spanish.
    spanish = chat(client, "y cuanto tiempo tarda?", sender="wa-like")
    assert spanish["guide"]["slug"] == GUIDE
    assert text_of(spanish).startswith("Tiempo de «")
    assert Conversation.objects.get().language == "es"


@pytest.mark.parametrize(
    "text",
    [
        "How do I renew my passport?",
        "I lost my identity card, where do I get a new one?",
        "what do I need for a driver's license",
        "how do I get a birth certificate for my baby",
    ],
)
def test_national_documents_asked_in_english_get_no_guide(client, text):
    answer = chat(client, text, lang="en")
    assert answer["guide"] is None and not answer["options"]
    assert answer["intent"] == "out_of_scope"
    assert "not a procedure of this municipality" in text_of(answer)


def test_english_small_talk_and_nonsense(client):
    assert chat(client, "hello", lang="en")["intent"] == "greet"
    assert chat(client, "thank you!", lang="en")["intent"] == "thank"
    joke = chat(client, "tell me a joke", lang="en")
    assert joke["guide"] is None and joke["intent"] == "nlu_fallback"
    assert "Sorry" in text_of(joke)


def test_a_guide_without_an_english_translation_is_answered_from_the_original_with_a_note(client):
    english = _english(GUIDE)
    english.unpublish()  # as if it had never been translated
    answer = chat(client, "licencia de funcionamiento requisitos", lang="en")
    assert answer["guide"]["slug"] == GUIDE
    text = text_of(answer)
    original = GuidePage.objects.get(slug=GUIDE, locale__language_code="es")
    assert text.startswith(f"Requirements for “{original.title}”")  # English words, the original's facts
    assert "This guide is only available in Spanish." in text


def test_a_variant_not_asked_for_is_not_offered_and_one_asked_for_is_answered(client):
    plain = chat(client, "how much does the operating licence cost?", lang="en", sender="v-1")
    assert plain["guide"]["slug"] == GUIDE and not plain["options"]
    renewal = chat(client, "what do I need to renew my operating licence?", lang="en", sender="v-2")
    assert renewal["guide"]["slug"] == "renovacion-licencia-de-funcionamiento"


def test_clarifying_options_are_titled_in_the_conversation_s_language():
    from django.utils import translation

    from chatbot import selectors

    slugs = [GUIDE, "renovacion-licencia-de-funcionamiento"]
    with translation.override("en"):
        english = selectors.guide_titles(slugs=slugs)
    with translation.override("es"):
        spanish = selectors.guide_titles(slugs=slugs)
    assert english[GUIDE] == _english(GUIDE).title
    assert spanish[GUIDE] == GuidePage.objects.get(slug=GUIDE, locale__language_code="es").title
    assert english[GUIDE] != spanish[GUIDE]


def test_an_online_answer_gives_its_link_once(client):
    answer = chat(client, "se puede sacar la licencia de funcionamiento en linea?", sender="es-online")
    text = text_of(answer)
    assert text.startswith("Sí, «")
    assert text.count("Más información:") == 1
