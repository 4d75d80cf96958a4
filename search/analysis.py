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


def _load_stop_words() -> frozenset[str]:
    path = Path(__file__).with_name("data") / "spanish.stop"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(fold(line.strip()) for line in lines if line.strip() and not line.startswith("#"))


def fold(text: str) -> str:
    """Lower-case and strip accents: "Construcción" -> "construccion", "Ñandú" -> "nandu"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


STOP_WORDS = _load_stop_words()

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
