"""Spanish text analysis shared by indexing and querying.

The same steps run on SQLite, PostgreSQL and Elasticsearch, so a query is
understood the same way whatever the backend: fold case and accents
("Trámite" -> "tramite", like PostgreSQL's unaccent, FTS5's remove_diacritics
and Elasticsearch's asciifolding), split into words, drop Spanish stop words
(the Snowball list, which PostgreSQL and Elasticsearch also use) and stem with
the Snowball Spanish stemmer.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from pathlib import Path

import snowballstemmer

WORD_RE = re.compile(r"\w+")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_WORD_LENGTH = 60
MAX_QUERY_TERMS = 10

_local = threading.local()


def _load_stop_words(name: str = "spanish.stop") -> frozenset[str]:
    path = Path(__file__).with_name("data") / name
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


def fold(text: str) -> str:
    """Lower-case and strip accents: "Construcción" -> "construccion", "Ñandú" -> "nandu"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


STOP_WORDS = _load_stop_words()
# English stop words (the chat tells English messages from Spanish ones with them).
ENGLISH_STOP_WORDS = _load_stop_words("english.stop")

# Words that say what the citizen wants to do rather than what about; they
# count, but a third as much as the words that name the subject
# ("tramite catastro" is about the cadastre).
INTENT_WORDS = frozenset(
    "tramite tramites tramitar requisito requisitos quiero necesito hacer sacar obtener solicitar pedir "
    "saber consultar informacion municipal municipio alcaldia gam".split()
)
INTENT_WEIGHT = 1 / 3


def words(text: str) -> list[str]:
    """Folded words of ``text`` in order (repetitions kept)."""
    return [word for word in WORD_RE.findall(fold(text)) if len(word) <= MAX_WORD_LENGTH]


def content_words(text: str) -> list[str]:
    """Folded words without stop words (repetitions kept)."""
    return [word for word in words(text) if word not in STOP_WORDS]


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:  # Snowball stemmers keep state: one per thread.
        stemmer = _local.stemmer = snowballstemmer.stemmer("spanish")
    return stemmer.stemWord(word)


def query_terms(query: str) -> list[str]:
    """The distinct searchable terms of a citizen's query, in order.

    Stop words go ("como saco mi licencia" -> ["saco", "licencia"]); single
    letters go unless they are digits; at most ``MAX_QUERY_TERMS`` are kept.
    """
    terms: list[str] = []
    for word in content_words(query):
        if (len(word) > 1 or word.isdigit()) and word not in terms:
            terms.append(word)
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms


def clean_text(raw: str | None, *, max_length: int) -> str:
    """Collapse whitespace, drop control characters and cut to ``max_length``."""
    text = CONTROL_RE.sub(" ", raw or "")
    return " ".join(text.split())[:max_length].strip()


def word_line(text: str) -> str:
    """Folded words separated and surrounded by single spaces, for word-prefix LIKE matching."""
    return f" {' '.join(words(text))} "


# --- chat text -------------------------------------------------------------------
#
# What residents type on WhatsApp: no accents, "q", "pa", "xq", "kiero". The
# chatbot's understanding (its guide index, the fallback's rules) and the Rasa
# training-data export read messages through these functions, so both engines
# and the search see the same words.

CHAT_ABBREVIATIONS = {
    "q": "que", "k": "que", "ke": "que", "kiero": "quiero", "qiero": "quiero", "kisiera": "quisiera",
    "xq": "porque", "pq": "porque", "porq": "porque", "pa": "para", "pra": "para", "x": "por",
    "tb": "tambien", "tmb": "tambien", "tbn": "tambien", "d": "de", "dnd": "donde", "cn": "con",
    "sta": "esta", "toy": "estoy", "nesecito": "necesito", "nececito": "necesito", "ncesito": "necesito",
    "nesesito": "necesito", "kuanto": "cuanto", "cuant": "cuanto", "cto": "cuanto", "info": "informacion",
    "porfa": "por favor", "xfa": "por favor", "plis": "por favor", "pls": "por favor", "hr": "hora",
    "hrs": "horas", "min": "minutos", "bs": "bolivianos", "doc": "documento", "docs": "documentos",
    "tramit": "tramite", "aki": "aqui", "ak": "aqui", "weno": "bueno", "ps": "pues",
}  # fmt: skip

# Words of a chat message that never name a procedure (the Snowball list is for
# documents; these are how people ask): dropped before looking for a guide.
CHAT_STOP_WORDS = frozenset(
    """
    a al algo alguien algun alguna alguno algunos ante antes aqui asi aun bien buenas buenos cada como con contra cual
    cuales cuando cuanto cuanta cuantos cuantas de del desde donde dos e el ella ellos en entre era es esa ese eso esta
    estan este esto estoy favor fue ha hay hola la las le les lo los mas me mi mis mucho muy nada ni no nos o otra otro
    para pero poco por porque puedo puede pueden que quien se ser si sin sobre su sus tambien te tengo tiene tienen
    toda todo tu tus un una uno unos unas usted y ya yo hacer hago hace quiero quisiera queria necesito necesita
    necesitan saber decir dime digame informacion ayuda ayudar ayudame ayudeme consulta pregunta tramite tramites
    requisito requisitos documento documentos papeles papel presentar piden pide llevar debo tengo cuesta costo
    costos precio valor cobran vale sale tarda tardan demora demoran tiempo dias dia plazo oficina oficinas direccion
    horario horarios hora horas atienden atencion lugar queda internet linea online virtual web pagina sacar
    obtener conseguir realizar tramitar gestionar pagar paga pago cobra gratis gratuito ok oye disculpe disculpa
    senor senora buen dias tardes noches gracias porfa plis entonces osea pues ahi alla eh ah mismo misma
    va voy vas van vamos ir iba ser estar son soy fui da dan doy dar tener tienes tenemos haber han he hemos
    sea aquello ahora hoy manana ayer siempre nunca cosa cosas nomas solo bueno okey listo claro mal
    quiere quieren queremos kiere kieren tenerlo tenerla hacerlo hacerla sacarlo sacarla vez veces tal
    costar costara costaria cuestan cobrar podes podria podrias puedes podemos
    hello hi hey how much what where when the do does is are for my to of in and please thanks need want can i you
    """.split()
)


def chat_words(text: str) -> list[str]:
    """Folded words of a chat message with common chat abbreviations expanded."""
    out: list[str] = []
    for word in words(text):
        out.extend(CHAT_ABBREVIATIONS.get(word, word).split())
    return out


def chat_normalize(text: str) -> str:
    return " ".join(chat_words(text))


def chat_content_words(text: str) -> list[str]:
    """The words of a chat message that may name a procedure (also drops inflections of stop words)."""
    return [w for w in chat_words(text) if w not in CHAT_STOP_WORDS and len(w) > 1 and not _inflected_stop(w)]


def _inflected_stop(word: str) -> bool:
    for suffix in ("amos", "emos", "imos", "aron", "ieron", "an", "en", "as", "es", "s", "a", "o", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            root = word[: -len(suffix)]
            if any(root + ending in CHAT_STOP_WORDS for ending in ("o", "a", "e", "ar", "er", "ir", "")):
                return True
    return False


_DIMINUTIVES = ("itos", "itas", "ito", "ita")
_LIGHT_SUFFIXES = (
    "aciones", "acion", "ieron", "iendo", "mente", "aron", "ando", "amos", "emos", "imos", "ados", "adas", "idos",
    "itos", "itas", "illo", "illa", "ado", "ada", "ido", "ito", "ita", "ar", "er", "ir", "an", "en", "es", "s",
)  # fmt: skip


@lru_cache(maxsize=50_000)
def light_stem(word: str) -> str:
    """A forgiving stem for chat words: one suffix and a final vowel off, diminutives folded.

    Coarser than Snowball on purpose: misspelt chat words ("lisencia",
    "licensia") still share their stem's first letters, which the guide index
    matches by prefix and edit distance.
    """
    for suffix in _DIMINUTIVES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    for suffix in _LIGHT_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] in "aeo":
        word = word[:-1]
    return word


_SOFT_C = re.compile(r"c([ei])")
_DOUBLE = re.compile(r"(.)\1+")


@lru_cache(maxsize=50_000)
def phonetic(word: str) -> str:
    """How a folded word sounds in Latin American Spanish, so spelling slips meet:
    "lisencia"/"licencia", "kiosko"/"quiosco", "vache"/"bache", "calle"/"caye", "hacer"/"aser"."""
    word = word.replace("ch", "\x01").replace("h", "").replace("\x01", "ch")
    word = _SOFT_C.sub(r"s\1", word)
    word = word.replace("z", "s").replace("qu", "k").replace("c", "k").replace("ch", "ch")
    word = word.replace("kh", "ch").replace("v", "b").replace("ll", "y")
    return _DOUBLE.sub(r"\1", word)


# --- the municipal thesaurus -------------------------------------------------------
#
# data/sinonimos.txt (Solr/Elasticsearch synonym format): the words residents use
# ("ferreteria", "michi", "granizada") and the words a procedure catalogue uses for
# them ("negocio", "mascota", "emergencia").


def _load_thesaurus() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(single-word rules keyed by light stem, phrase rules keyed by the folded phrase)."""
    single: dict[str, list[str]] = {}
    phrases: dict[str, list[str]] = {}
    path = Path(__file__).with_name("data") / "sinonimos.txt"
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if "=>" not in line:
            continue
        left, right = line.split("=>", 1)
        targets = [w for part in right.split(",") for w in words(part)]
        for key in (k.strip() for k in left.split(",")):
            key_words = words(key)
            if len(key_words) == 1:
                single.setdefault(light_stem(key_words[0]), []).extend(targets)
            elif key_words:
                phrases.setdefault(" ".join(key_words), []).extend(targets)
    freeze = lambda rules: {k: tuple(dict.fromkeys(v)) for k, v in rules.items()}  # noqa: E731
    return freeze(single), freeze(phrases)


THESAURUS_WORDS, THESAURUS_PHRASES = _load_thesaurus()


def expansions(text: str) -> dict[str, tuple[str, ...]]:
    """The thesaurus's words for a chat message: {word or phrase of the message: catalogue words}."""
    out: dict[str, tuple[str, ...]] = {}
    chat = chat_words(text)
    for word in chat:
        targets = THESAURUS_WORDS.get(light_stem(word))
        if targets and word not in out:
            out[word] = targets
    if THESAURUS_PHRASES:
        line = f" {' '.join(chat)} "
        for phrase, targets in THESAURUS_PHRASES.items():
            if f" {phrase} " in line:
                out[phrase] = targets
    return out
