"""Reads of the vocabulary: turn a citizen's terms into words the index holds.

For each query term the expansion lists indexed words with a quality:

* the word itself (1.0);
* words with the same Snowball stem, "licencias" -> "licencia" (0.9);
* words that start with the stem, "construir" (constru-) -> "construccion" (0.75);
* when the word is not indexed at all, words within one typo (two for words of
  seven letters or more), "lisencia" -> "licencia", "catastal" -> "catastral"
  (0.8 / 0.65), plus the words that share their stem.

Expansions are cached (``expand_cached``): in the shared cache and in the
process, under the search's generation, which every change of documents or
vocabulary replaces (``search.services``), for at most ``CACHE_SECONDS``; a
process re-reads the generation from the shared cache every
``GENERATION_SECONDS``, so another process's change shows within a second.
Results never depend on it for visibility: the ranking query checks each
object's public state itself.

Typos are found with RapidFuzz (optimal string alignment distance, so a swap
of two letters counts as one typo) against the vocabulary held in memory on
SQLite, and with a pg_trgm trigram shortlist from the database on PostgreSQL;
both then apply the same distance rule, so results agree.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from rapidfuzz import process
from rapidfuzz.distance import OSA

from search.analysis import stem
from search.models import SearchTerm

EXACT, SAME_STEM, STEM_PREFIX, ONE_TYPO, TWO_TYPOS = 1.0, 0.9, 0.75, 0.8, 0.65
MIN_PREFIX_STEM = 5
MIN_FUZZY_LENGTH = 4
MAX_VARIANTS = 10

_memory = threading.local()

GENERATION_KEY = "ayni:search:generation"
EXPANSION_KEY = "ayni:search:expand:{generation}:{digest}"
TOTAL_KEY = "ayni:search:documents:{generation}"
CACHE_SECONDS = 60


@dataclass
class Expansion:
    term: str
    variants: dict[str, float] = field(default_factory=dict)  # indexed word -> quality
    documents: dict[str, int] = field(default_factory=dict)  # indexed word -> document count

    @property
    def best(self) -> str | None:
        if not self.variants:
            return None
        return max(self.variants, key=lambda w: (self.variants[w], self.documents.get(w, 0), -len(w)))

    @property
    def corrected(self) -> bool:
        """True when the term was read as a typo of another word (not as a plural or a stem)."""
        if not self.variants or self.term in self.variants:
            return False
        term_stem = stem(self.term)
        return not any(stem(w) == term_stem or w.startswith(term_stem) for w in self.variants)


def _max_typos(term: str) -> int:
    return 1 if len(term) < 7 else 2


def _fuzzy_candidates(terms: list[str]) -> dict[str, list[str]]:
    """Indexed words that may be ``term`` mistyped (before the distance rule)."""
    if not terms:
        return {}
    if connection.vendor == "postgresql":
        found: dict[str, list[str]] = {term: [] for term in terms}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL pg_trgm.similarity_threshold = %s", [settings.AYNI_SEARCH_TRIGRAM_THRESHOLD])
            cursor.execute(
                f"SELECT q.term, t.word FROM unnest(%s::text[]) AS q(term) "
                f"JOIN {SearchTerm._meta.db_table} t ON t.word %% q.term",
                [terms],
            )
            for term, word in cursor.fetchall():
                found[term].append(word)
        return found
    words = _words_in_memory()
    return {
        term: [
            word for word, _score, _index in process.extract(term, words, scorer=OSA.distance, score_cutoff=2, limit=50)
        ]
        for term in terms
    }


def _words_in_memory() -> list[str]:
    """The vocabulary, loaded once per thread and reloaded when it changes."""
    state = SearchTerm.objects.aggregate(n=Count("id"), last=Max("id"))
    version = (state["n"], state["last"])
    cached = getattr(_memory, "vocabulary", None)
    if cached is None or cached[0] != version:
        cached = _memory.vocabulary = (version, list(SearchTerm.objects.values_list("word", flat=True)))
    return cached[1]


def expand(terms: list[str]) -> list[Expansion]:
    expansions = [Expansion(term) for term in terms]
    if not terms:
        return expansions
    stems = {term: stem(term) for term in terms}
    condition = Q(word__in=terms) | Q(stem__in=set(stems.values()))
    for value in {s for s in stems.values() if len(s) >= MIN_PREFIX_STEM}:
        condition |= Q(word__startswith=value)
    rows = list(SearchTerm.objects.filter(condition).values_list("word", "stem", "documents"))
    documents = {word: n for word, _stem, n in rows}
    for expansion in expansions:
        term, term_stem = expansion.term, stems[expansion.term]
        for word, word_stem, _n in rows:
            if word == term:
                quality = EXACT
            elif word_stem == term_stem:
                quality = SAME_STEM
            elif len(term_stem) >= MIN_PREFIX_STEM and word.startswith(term_stem):
                quality = STEM_PREFIX
            else:
                continue
            expansion.variants[word] = max(quality, expansion.variants.get(word, 0))
    _add_typos([e for e in expansions if e.term not in e.variants and _fuzzy_allowed(e.term)], documents)
    for expansion in expansions:
        expansion.documents = {w: documents.get(w, 0) for w in expansion.variants}
        ranked = sorted(expansion.variants, key=lambda w: (-expansion.variants[w], -expansion.documents[w], w))
        expansion.variants = {w: expansion.variants[w] for w in ranked[:MAX_VARIANTS]}
    return expansions


def _fuzzy_allowed(term: str) -> bool:
    return len(term) >= MIN_FUZZY_LENGTH and term.isalpha()


def _add_typos(expansions: list[Expansion], documents: dict[str, int]) -> None:
    candidates = _fuzzy_candidates([e.term for e in expansions])
    matched: dict[str, float] = {}
    for expansion in expansions:
        limit = _max_typos(expansion.term)
        scored = [(OSA.distance(expansion.term, word), word) for word in candidates.get(expansion.term, [])]
        scored = [(d, w) for d, w in scored if 0 < d <= limit]
        if not scored:
            continue
        best = min(d for d, _w in scored)
        for distance, word in scored:
            if distance == best:
                quality = ONE_TYPO if distance == 1 else TWO_TYPOS
                expansion.variants[word] = max(quality, expansion.variants.get(word, 0))
                matched[word] = quality
    if not matched:
        return
    # Words sharing the corrected word's stem ("lisencias" -> "licencia" -> "licencias").
    by_stem: dict[str, list[str]] = {}
    rows = SearchTerm.objects.filter(stem__in={stem(w) for w in matched}).values_list("word", "stem", "documents")
    for word, word_stem, n in rows:
        documents[word] = n
        by_stem.setdefault(word_stem, []).append(word)
    for expansion in expansions:
        for word, quality in list(expansion.variants.items()):
            for sibling in by_stem.get(stem(word), []):
                expansion.variants.setdefault(sibling, quality * SAME_STEM)


# Per process, in front of the shared cache (a disk or Redis round trip): the generation
# for up to GENERATION_SECONDS, expansions and counts of the current generation.
GENERATION_SECONDS = 1.0
_local: dict[str, tuple[float, object]] = {}
_LOCAL_MAX = 5000


def _local_get(key: str):
    entry = _local.get(key)
    if entry is not None and entry[0] > time.monotonic():
        return entry[1]
    return None


def _local_set(key: str, value, seconds: float) -> None:
    if len(_local) >= _LOCAL_MAX:
        _local.clear()
    _local[key] = (time.monotonic() + seconds, value)


def forget_local() -> None:
    """This process changed the generation: stop using its remembered one at once."""
    _local.clear()


def generation() -> str:
    """The current generation of documents and vocabulary (set by ``search.services`` on every change)."""
    value = _local_get(GENERATION_KEY)
    if value is None:
        value = cache.get(GENERATION_KEY)
        if value is None:
            value = "0"
            cache.add(GENERATION_KEY, value, timeout=None)
        _local_set(GENERATION_KEY, str(value), GENERATION_SECONDS)
    return str(value)


def _cached(key: str, compute):
    value = _local_get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            value = compute()
            cache.set(key, value, timeout=CACHE_SECONDS)
        _local_set(key, value, CACHE_SECONDS)
    return value


def expand_cached(terms: list[str]) -> list[Expansion]:
    """``expand(terms)`` through the cache (see the module's docstring)."""
    if not terms:
        return []

    def compute() -> list[Expansion]:
        expansions = expand(terms)
        if not any(e.variants for e in expansions) and not SearchTerm.objects.exists():
            # No vocabulary yet (update_index never ran): search the words as typed.
            expansions = [Expansion(t, {t: 1.0}) for t in terms]
        return expansions

    digest = hashlib.sha1("\x00".join(terms).encode(), usedforsecurity=False).hexdigest()
    return _cached(EXPANSION_KEY.format(generation=generation(), digest=digest), compute)


def usable_expansions(terms: list[str]) -> list[Expansion]:
    """The terms that name indexed words (or every term while there is no vocabulary)."""
    return [e for e in expand_cached(terms) if e.variants]


def document_total() -> int:
    """How many search documents there are (for the terms' rarity), cached like the expansions."""
    from search.models import SearchDocument

    return _cached(TOTAL_KEY.format(generation=generation()), lambda: SearchDocument.objects.count())
