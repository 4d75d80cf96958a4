"""Rules of the answerer that decide between a guide, a question back and something else:
a near-twin whose title words the question holds only in part is no rival; a national word that is
part of a guide's own name; thanks and unasked messages without a guide's name; following a case
versus a question that names a guide."""

import pytest

from chatbot import dialogue, resolver
from chatbot.resolver import Ranking, build_index
from chatbot.understanding import Understanding

GUIDES = [
    {"slug": "renovacion-licencia-farmacias", "title": "Renovación de licencia de farmacias", "aliases": []},
    {"slug": "renovacion-licencia-ambiental", "title": "Renovación de licencia ambiental", "aliases": []},
    {
        "slug": "registro-recicladores",
        "title": "Registro de recolectores y recicladores",
        "aliases": ["carnet de reciclador"],
    },
    {"slug": "registro-de-mascotas", "title": "Registro de mascotas", "aliases": ["carnet de mascota"]},
    {
        "slug": "tarjeta-preferencial-bus-municipal",
        "title": "Tarjeta preferencial del bus municipal",
        "aliases": ["pasaje de estudiante en el bus"],
        "tags": ["bus", "estudiantes"],
    },
]


@pytest.fixture
def small_catalogue(monkeypatch):
    index = build_index(GUIDES)
    monkeypatch.setattr(resolver, "guide_index", lambda: index)
    monkeypatch.setattr(resolver, "_search_boosts", lambda text: {})
    return index


def test_a_near_twin_named_only_in_part_is_not_offered():
    ranking = Ranking(
        guides=[("renovacion-licencia-farmacias", 32.0), ("renovacion-licencia-ambiental", 30.0)],
        name_hits={
            "renovacion-licencia-farmacias": frozenset({"renov", "licenc", "farmac"}),
            "renovacion-licencia-ambiental": frozenset({"renov", "licenc"}),
        },
    )
    assert ranking.close_call() == []


def test_twins_that_each_hold_words_of_their_own_are_still_asked_about():
    ranking = Ranking(
        guides=[("renovacion-licencia-farmacias", 32.0), ("renovacion-licencia-ambiental", 30.0)],
        name_hits={
            "renovacion-licencia-farmacias": frozenset({"renov", "farmac"}),
            "renovacion-licencia-ambiental": frozenset({"renov", "ambient"}),
        },
    )
    assert ranking.close_call() == ["renovacion-licencia-farmacias", "renovacion-licencia-ambiental"]


def test_the_ranking_records_the_title_words_the_question_holds(small_catalogue):
    ranking = resolver.rank("se me vencio la licencia de la farmacia, se puede renovar en linea?")
    assert ranking.guides[0][0] == "renovacion-licencia-farmacias"
    farmacias = ranking.name_hits["renovacion-licencia-farmacias"]
    assert ranking.name_hits["renovacion-licencia-ambiental"] < farmacias  # "farmacia" is farmacias' own
    assert ranking.close_call() == []


def test_a_national_word_inside_a_guides_name_said_in_full_is_municipal(small_catalogue):
    ranking = resolver.rank("junto botellas pa vender, me dijeron q hay un carnet de reciclador, q piden")
    assert not ranking.national
    assert ranking.guides[0][0] == "registro-recicladores"


def test_another_institution_as_context_of_a_question_to_the_municipality(small_catalogue):
    text = "soy estudiante de la umsa, como saco la tarjeta preferencial pa el bus de la alcaldia"
    ranking = resolver.rank(text)
    assert not ranking.national and ranking.guides[0][0] == "tarjeta-preferencial-bus-municipal"
    assert resolver.rank("como me inscribo en la umsa").national


def test_the_national_procedure_itself_stays_national(small_catalogue):
    assert resolver.rank("q necesito pa sacar mi carnet de identidad").national
    assert resolver.rank("donde saco el carnet").national


needs_db = pytest.mark.django_db


def _meaning(intent: str) -> Understanding:
    return Understanding(intent=intent, engine="fallback")


@needs_db
def test_thanks_are_thanks_even_if_a_word_looks_like_a_guide():
    ranking = Ranking(guides=[("licencia-de-funcionamiento", 12.0)])
    result = dialogue.answer(
        text="ya ya, gracias x la info", understanding=_meaning("thank"), state=dialogue.State(), ranking=ranking
    )
    assert result.intent == "thank" and result.guide is None


@needs_db
def test_a_message_that_asks_nothing_and_names_no_guide_gets_no_guide():
    unanchored = Ranking(guides=[("licencia-de-funcionamiento", 12.0)], anchored=False)
    result = dialogue.answer(
        text="contame un chiste porfa",
        understanding=_meaning("nlu_fallback"),
        state=dialogue.State(),
        ranking=unanchored,
    )
    assert result.guide is None and result.answered is False
    anchored = Ranking(guides=[("licencia-de-funcionamiento", 12.0)], anchored=True)
    result = dialogue.answer(
        text="licencia de funcionamiento",
        understanding=_meaning("nlu_fallback"),
        state=dialogue.State(),
        ranking=anchored,
    )
    assert result.guide["slug"] == "licencia-de-funcionamiento"


@needs_db
def test_following_a_case_needs_a_code_unless_the_question_names_a_guide():
    text = "la licencia de funcionamiento se puede sacar por internet"
    named = Ranking(
        guides=[("licencia-de-funcionamiento", 20.0)], anchored=True, phrase_match={"licencia-de-funcionamiento"}
    )
    result = dialogue.answer(
        text=text, understanding=_meaning("complaint_status"), state=dialogue.State(), ranking=named
    )
    assert result.guide["slug"] == "licencia-de-funcionamiento"
    unnamed = Ranking(guides=[("licencia-de-funcionamiento", 20.0)], anchored=True)
    result = dialogue.answer(
        text="como va mi reclamo", understanding=_meaning("complaint_status"), state=dialogue.State(), ranking=unnamed
    )
    assert result.intent == "complaint_status" and result.guide is None
