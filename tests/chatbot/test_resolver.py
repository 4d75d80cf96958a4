"""chatbot/resolver.py on a small catalogue, without the database: the thesaurus,
near-twins whose variant the question says in its own words, and the plain
procedure losing when a variant of it is asked for."""

import pytest

from chatbot.resolver import VARIANT_MISS, _variant_adjustment, build_index
from chatbot.understanding import fallback_understand
from search.analysis import chat_normalize

GUIDES = [
    {
        "slug": "licencia-de-funcionamiento",
        "title": "Licencia de funcionamiento",
        "aliases": ["patente de negocio", "permiso para abrir un negocio"],
        "tags": ["negocios", "comercio"],
        "summary": "Autoriza el funcionamiento de una actividad económica.",
        "category": "Actividades Económicas",
    },
    {
        "slug": "transferencia-licencia-funcionamiento",
        "title": "Transferencia de licencia de funcionamiento",
        "aliases": ["traspaso de licencia"],
        "tags": ["negocios", "transferencia"],
        "summary": "Cambia el titular de una licencia de funcionamiento.",
        "category": "Actividades Económicas",
    },
    {
        "slug": "registro-de-mascotas",
        "title": "Registro de mascotas",
        "aliases": ["carnet de mascota"],
        "tags": ["mascotas", "animales"],
        "summary": "Inscribe perros y gatos en el registro municipal.",
        "category": "Salud",
    },
    {
        "slug": "certificado-catastral",
        "title": "Certificado catastral",
        "aliases": ["papel de catastro"],
        "tags": ["inmuebles", "catastro"],
        "summary": "Certifica los datos técnicos de un inmueble.",
        "category": "Territorio",
    },
]


@pytest.fixture(scope="module")
def index():
    return build_index(GUIDES)


def best(index, text):
    ranked = index.score(text)
    return ranked[0][0] if ranked else None


def test_a_kind_of_shop_reaches_the_business_licence_through_the_thesaurus(index):
    assert best(index, "kiero abrir una ferreteria q papeles piden") == "licencia-de-funcionamiento"


def test_a_pet_word_reaches_the_pet_register_through_the_thesaurus(index):
    assert best(index, "cuanto cuesta inscribir a mi michi") == "registro-de-mascotas"


def test_without_the_thesaurus_word_the_same_question_finds_nothing(index):
    assert best(index, "cuanto cuesta inscribir a mi xyzw") is None


def test_a_variant_said_in_the_residents_words_wins(index):
    assert best(index, "le vendi mi tienda como paso la licencia a su nombre") == (
        "transferencia-licencia-funcionamiento"
    )


def test_the_plain_procedure_loses_when_the_question_asks_for_its_variant(index):
    plain = index.entries["licencia-de-funcionamiento"]
    assert plain.sibling_variants == {"transfer"}
    assert _variant_adjustment(plain, chat_normalize("le vendi mi negocio")) == -VARIANT_MISS
    assert _variant_adjustment(plain, chat_normalize("kiero abrir mi negocio")) == 0.0
    assert best(index, "kiero sacar la licencia de funcionamiento de mi tienda") == "licencia-de-funcionamiento"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hace una semana q el poste no prende donde reclamo", "ask_office"),
        ("hola mire mi caso es este: construimos sin planos q hago", "ask_requirements"),
        ("como va mi reclamo", "complaint_status"),
        ("reclamos", "complaint_status"),
        ("seguimiento", "complaint_status"),
    ],
)
def test_following_a_case_is_told_apart_from_asking_where_to_file_one(text, intent):
    assert fallback_understand(text).intent == intent


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("el parqueo se paga con el celular?", "online"),
        ("se puede hacer desde la app", "online"),
        ("cuanto cuestan las placas", "cost"),
        ("cuanto me van a cobrar cada año", "cost"),
        ("para cuando me lo entregan", "duration"),
        ("a quien acudo", "office"),
    ],
)
def test_the_fact_asked_in_residents_words(text, asks):
    assert fallback_understand(text).asks == asks


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "declined"),
    [
        ("cuanto cobra un albañil x metro de muro", True),
        ("cual es la mejor raza de perro pa cuidar la casa", True),
        ("q me recomiendan pa almorzar en el centro", True),
        # The same words with a guide named in full, or placed with the municipality, are questions.
        ("cual es la mejor forma de sacar la licencia de funcionamiento", False),
        ("cuanto cobra la alcaldia por el registro de mascotas", False),
        ("cuanto cuesta la licencia de funcionamiento", False),
    ],
)
def test_opinions_and_tradespeople_s_prices_are_not_procedures(text, declined):
    from chatbot.resolver import rank

    outcome = rank(text)
    assert outcome.national is declined
    if not declined:
        assert outcome.guides
