"""Relevance and highlighting, computed the same way whatever the backend.

The backend (SQLite FTS5, PostgreSQL full text, Elasticsearch) finds the
candidates; this module orders them:

* each query term scores by where its best variant appears: the title or a
  name citizens use (aliases, citations) weigh 3, the rest of the text 1,
  times the variant's quality (exact, stem, typo) and the term's rarity (idf);
* a bonus for how closely the whole query matches the title or an alias
  (RapidFuzz token-sort ratio), so "patente de negocio" puts the guide with
  that alias first;
* the type's boost from the registry.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from rapidfuzz import fuzz

from search.analysis import INTENT_WEIGHT, INTENT_WORDS, WORD_RE, content_words, fold, words
from search.vocabulary import Expansion

STRONG_WEIGHT = 3.0
TEXT_WEIGHT = 1.0
PHRASE_WEIGHT = 0.35
SNIPPET_LENGTH = 220


@dataclass
class Scored:
    score: float
    matched: set[str]


def idf_weights(expansions: list[Expansion], total_documents: int) -> dict[str, float]:
    weights = {}
    for expansion in expansions:
        best = expansion.best
        frequency = expansion.documents.get(best, 0) if best else 0
        weight = math.log(1 + (total_documents + 1) / (frequency + 1))
        weights[expansion.term] = weight * INTENT_WEIGHT if expansion.term in INTENT_WORDS else weight
    return weights


def score_document(document, expansions: list[Expansion], weights: dict[str, float], interpreted: str) -> Scored:
    """0..1+: the share of the query found in the document, weighed by place and rarity."""
    # Space-separated folded words: a variant is looked up as " word " (no set of every word built).
    strong_words = f" {document.title_words} {document.strong_words} "
    text_words = f" {document.text_words} "
    total = sum(weights[e.term] for e in expansions if e.variants) * STRONG_WEIGHT
    if not total:
        return Scored(0.0, set())
    gained = 0.0
    matched: set[str] = set()
    for expansion in expansions:
        best = 0.0
        for word, quality in expansion.variants.items():
            padded = f" {word} "
            if padded in strong_words:
                best = max(best, STRONG_WEIGHT * quality)
                matched.add(word)
            elif padded in text_words:
                best = max(best, TEXT_WEIGHT * quality)
                matched.add(word)
        gained += best * weights[expansion.term]
    if not matched:
        return Scored(0.0, matched)
    phrase = max(
        (fuzz.token_sort_ratio(interpreted, _content_line(name)) for name in [document.title, *document.strong_lines]),
        default=0.0,
    )
    return Scored(gained / total + PHRASE_WEIGHT * phrase / 100, matched)


@lru_cache(maxsize=50_000)
def _content_line(name: str) -> str:
    """A title's or alias's content words (the same names come back search after search)."""
    return " ".join(content_words(name))


def highlight(text: str, matched: set[str]) -> SafeString:
    """Escape ``text`` and wrap the words whose folded form is in ``matched`` in <mark>."""
    out, position = [], 0
    for match in WORD_RE.finditer(text):
        out.append(escape(text[position : match.start()]))
        word = match.group()
        out.append(f"<mark>{escape(word)}</mark>" if fold(word) in matched else escape(word))
        position = match.end()
    out.append(escape(text[position:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


def snippet(document, matched: set[str], length: int = SNIPPET_LENGTH) -> SafeString:
    """The part of the text with most matched words, cut around the first one, highlighted."""
    parts = document.text_lines or document.strong_lines or [document.title]
    best = max(parts, key=lambda part: len(set(words(part)) & matched)) if matched else parts[0]
    if not set(words(best)) & matched:
        best = parts[0]
    start = 0
    for match in WORD_RE.finditer(best):
        if fold(match.group()) in matched:
            start = max(0, match.start() - length // 3)
            break
    if start:
        space = best.find(" ", start)
        start = space + 1 if 0 <= space < start + 20 else start
    piece = best[start : start + length]
    if start + length < len(best):
        piece = re.sub(r"\s+\S*$", "", piece)
    prefix = "…" if start else ""
    suffix = "…" if start + len(piece) < len(best) else ""
    return mark_safe(f"{prefix}{highlight(piece, matched)}{suffix}")  # noqa: S308 - highlight escapes
