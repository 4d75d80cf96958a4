"""Finding the guide a free-text question is about, without Rasa.

A small lexical search over the live guides: titles, aliases and tags from the
CMS, plus the procedure phrases annotated in the bot's hand-written training
data (chatbot/rasa/data/nlu.yml), with light Spanish stemming and typo
tolerance; the portal's own search ranking is added as a signal. The index is
rebuilt whenever a guide is published or unpublished.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from chatbot.actions.compose import content_words, normalize, words

NLU_FILE = Path(__file__).resolve().parent / "rasa" / "data" / "nlu.yml"

# Field weights: how much a matching word in each field counts.
W_NAME = 3.0
W_PHRASE = 2.5
W_TAG = 1.5
W_EXAMPLE = 1.0
W_SUMMARY = 0.6
W_CATEGORY = 0.5
PHRASE_BONUS = 4.0
SEARCH_BONUS = (2.0, 1.0, 0.5)
MIN_SCORE = 3.0
STRONG_SCORE = 9.0
FUNCTION_WORDS = {
    "de",
    "del",
    "la",
    "el",
    "los",
    "las",
    "para",
    "por",
    "en",
    "mi",
    "un",
    "una",
    "y",
    "o",
    "a",
    "al",
    "con",
}

_DIMINUTIVES = ("itos", "itas", "ito", "ita")
_SUFFIXES = (
    "aciones", "acion", "ieron", "iendo", "mente", "aron", "ando", "amos", "emos", "imos", "ados", "adas", "idos",
    "itos", "itas", "illo", "illa", "ado", "ada", "ido", "ito", "ita", "ar", "er", "ir", "an", "en", "es", "s",
)  # fmt: skip


def stem(word: str) -> str:
    for suffix in _DIMINUTIVES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] in "aeo":
        word = word[:-1]
    return word


@dataclass
class GuideEntry:
    slug: str
    title: str
    fields: dict[str, float] = field(default_factory=dict)  # stem -> best weight
    phrases: list[str] = field(default_factory=list)  # normalised names and annotated phrases
    name_stems: set[str] = field(default_factory=set)


@dataclass
class GuideIndex:
    entries: dict[str, GuideEntry]
    idf: dict[str, float]
    vocabulary: list[str]

    def score(self, text: str, boosts: dict[str, float] | None = None) -> list[tuple[str, float]]:
        """Guides ranked by score. A guide needs lexical evidence: the search boost alone never
        counts, and when its words explain less than half of the question it needs a strong score."""
        norm = normalize(text)
        stems = {stem(w) for w in content_words(text)}
        matched = {s: self._match(s) for s in stems}
        scores: dict[str, float] = {}
        for slug, entry in self.entries.items():
            total = 0.0
            explained = 0
            anchored = False  # a word of the guide's own title or aliases is in the question
            for _query_stem, candidates in matched.items():
                best = 0.0
                for term, closeness in candidates:
                    weight = entry.fields.get(term)
                    if weight:
                        best = max(best, weight * closeness * self.idf.get(term, 1.0))
                        anchored = anchored or (weight >= W_NAME and closeness >= 0.85)
                total += best
                explained += best > 0
            for phrase in entry.phrases:
                if len(phrase.split()) >= 2 and f" {phrase} " in f" {norm} ":
                    total += PHRASE_BONUS
                    explained = len(stems)
                    break
            if total <= 0:
                continue
            coverage = explained / max(len(stems), 1)
            if not (coverage > 0.5 or (anchored and coverage >= 0.5) or total >= STRONG_SCORE):
                continue
            scores[slug] = total + (boosts or {}).get(slug, 0.0)
        return sorted(scores.items(), key=lambda item: -item[1])

    @lru_cache(maxsize=4096)  # noqa: B019 - the index lives as long as its content generation
    def _match(self, query_stem: str) -> tuple[tuple[str, float], ...]:
        """Index terms a query stem stands for: itself, a shared long prefix, or a close spelling."""
        out: dict[str, float] = {}
        if query_stem in self.idf:
            out[query_stem] = 1.0
        if len(query_stem) >= 5:
            for term in self.vocabulary:
                if term != query_stem and len(term) >= 5:
                    common = len(_common_prefix(term, query_stem))
                    if common >= 6 or (common >= 5 and min(len(term), len(query_stem)) == common):
                        out[term] = max(out.get(term, 0), 0.85)
            for term, ratio, _i in process.extract(
                query_stem, self.vocabulary, scorer=fuzz.ratio, score_cutoff=80, limit=3
            ):
                if len(term) >= 5:
                    out[term] = max(out.get(term, 0), 0.75 * ratio / 100)
        return tuple(out.items())

    def __hash__(self) -> int:  # lru_cache on a method needs a hashable self
        return id(self)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


_ANNOTATED_VALUE = re.compile(r'\[([^\]]+)\]\{"entity": "procedure", "value": "([a-z0-9-]+)"\}')
_ANNOTATED_PLAIN = re.compile(r"\[([^\]]+)\]\(procedure\)")
_ANY_ANNOTATION = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")


def training_phrases() -> dict[str, list[tuple[str, str]]]:
    """(phrase, whole example) pairs per guide slug, from the hand-written NLU data."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not NLU_FILE.exists():
        return out
    for line in NLU_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line.startswith("- "):
            continue
        example = _ANY_ANNOTATION.sub(r"\1", line[2:])
        for phrase, slug in _ANNOTATED_VALUE.findall(line):
            out.setdefault(slug, []).append((phrase, example))
        for phrase in _ANNOTATED_PLAIN.findall(line):
            out.setdefault("", []).append((phrase, example))  # resolved against names below
    return out


def build_index(guides: list[dict]) -> GuideIndex:
    """``guides``: dicts with slug, title, aliases, tags, summary, category."""
    entries: dict[str, GuideEntry] = {}
    phrases = training_phrases()
    name_owner: dict[str, str] = {}
    for guide in guides:
        entry = GuideEntry(slug=guide["slug"], title=guide["title"])
        names = [guide["title"], *guide.get("aliases", [])]
        for name in names:
            _add(entry, name, W_NAME)
            entry.phrases.append(normalize(name))
            entry.name_stems.update(stem(w) for w in words(name) if w not in FUNCTION_WORDS)
            name_owner[normalize(name)] = guide["slug"]
        for tag in guide.get("tags", []):
            _add(entry, tag, W_TAG)
        _add(entry, guide.get("summary", ""), W_SUMMARY)
        _add(entry, guide.get("category") or "", W_CATEGORY)
        entries[guide["slug"]] = entry
    for slug, pairs in phrases.items():
        for phrase, example in pairs:
            owner = slug or name_owner.get(normalize(phrase))
            entry = entries.get(owner or "")
            if entry is None:
                continue
            _add(entry, phrase, W_PHRASE)
            entry.phrases.append(normalize(phrase))
            _add(entry, example, W_EXAMPLE)
    document_frequency: dict[str, int] = {}
    for entry in entries.values():
        for term in entry.fields:
            document_frequency[term] = document_frequency.get(term, 0) + 1
    n = max(len(entries), 1)
    idf = {term: math.log(1 + n / df) for term, df in document_frequency.items()}
    return GuideIndex(entries=entries, idf=idf, vocabulary=sorted(idf))


def _add(entry: GuideEntry, text: str, weight: float) -> None:
    for word in content_words(text):
        term = stem(word)
        if weight > entry.fields.get(term, 0):
            entry.fields[term] = weight


_lock = threading.Lock()
_cached: tuple[tuple, GuideIndex] | None = None


def guide_index() -> GuideIndex:
    """The index of live guides, rebuilt when a guide is published or unpublished."""
    global _cached
    from chatbot.selectors import guide_catalogue, guide_fingerprint

    generation = guide_fingerprint()
    with _lock:
        if _cached is not None and _cached[0] == generation:
            return _cached[1]
    index = build_index(guide_catalogue())
    with _lock:
        _cached = (generation, index)
    return index


def reset_index() -> None:
    global _cached
    with _lock:
        _cached = None
