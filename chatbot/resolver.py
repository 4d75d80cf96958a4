"""Which guide a free-text question is about — for both understandings.

A small lexical index over the live guides: titles, aliases and tags from the
CMS, plus the procedure phrases annotated in the bot's hand-written training
data (chatbot/rasa/data/nlu.yml), read with the shared chat text analysis
(``search.analysis``: folding, chat abbreviations, stop words, a forgiving
stem, fuzzy matching); the portal search's own ranking is added as a signal,
and so are the guides Rasa's ``procedure`` entity named. The index is rebuilt
whenever a guide is published or unpublished.

``rank`` also says when a question is about a national procedure (carnet de
identidad, pasaporte, licencia de conducir…) that no municipal guide covers,
and when the two best guides are too close to call.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process

from search.analysis import chat_content_words as content_words
from search.analysis import chat_normalize as normalize
from search.analysis import chat_words as words
from search.analysis import expansions, phonetic
from search.analysis import light_stem as stem

logger = logging.getLogger(__name__)

NLU_FILE = Path(__file__).resolve().parent / "rasa" / "data" / "nlu.yml"

# Field weights: how much a matching word in each field counts.
W_NAME = 3.0
W_PHRASE = 2.5
W_TAG = 1.5
W_EXAMPLE = 1.0
W_SUMMARY = 0.6
W_DETAIL = 0.3
W_CATEGORY = 0.5
PHRASE_BONUS = 4.0
NAME_MISS = 4.0
SEARCH_BONUS = (4.0, 2.0, 1.0)
MIN_SCORE = 3.0
THESAURUS_CLOSENESS = 0.85  # a word of search/data/sinonimos.txt counts as the catalogue's word, surely
STRONG_SCORE = 9.0
NAMED_MISSING = 0.25
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


@dataclass
class GuideEntry:
    slug: str
    title: str
    fields: dict[str, float] = field(default_factory=dict)  # stem -> best weight
    phrases: list[str] = field(default_factory=list)  # normalised names and annotated phrases
    name_stems: set[str] = field(default_factory=set)
    names: list[frozenset[str]] = field(default_factory=list)  # each name's content stems (title, aliases)
    variants: set[str] = field(default_factory=set)  # renewal, closure, duplicate… (its title says so)
    sibling_variants: set[str] = field(default_factory=set)  # the variants other guides hold of this one
    variant_terms: set[str] = field(default_factory=set)  # its names' words that say the variant ("traspaso")
    has_base: bool = False  # its title holds another guide's name: a variant of that guide


@dataclass
class _Evidence:
    """What a question's words match in one guide (``GuideIndex._evidence``)."""

    total: float = 0.0
    explained: int = 0  # the question's words matched surely
    anchored: bool = False  # a word of the guide's own title or aliases is in the question
    tagged: bool = False  # ... or of its tags
    hit: set[str] = field(default_factory=set)  # the guide's terms the question holds


def _says_a_phrase(entry: GuideEntry, norm_question: str) -> bool:
    """The question holds one of the guide's phrases of two words or more."""
    return any(len(phrase.split()) >= 2 and f" {phrase} " in f" {norm_question} " for phrase in entry.phrases)


@dataclass
class GuideIndex:
    entries: dict[str, GuideEntry]
    idf: dict[str, float]
    vocabulary: list[str]
    df: dict[str, int] = field(default_factory=dict)  # how many guides hold each term
    sounds: dict[str, list[str]] = field(default_factory=dict)  # phonetic form -> terms

    def score(
        self, text: str, boosts: dict[str, float] | None = None, corroborated: str | None = None
    ) -> list[tuple[str, float]]:
        """Guides ranked by score. A guide needs lexical evidence: the search boost alone never
        counts, and when its words explain less than half of the question it needs a strong score,
        or a word of its names, tags or aliases plus the portal search's first place (``corroborated``)."""
        norm = normalize(text)
        stems = {stem(w) for w in content_words(text)}
        matched = {s: self._match(s) for s in stems}
        for key, targets in expansions(text).items():
            # a thesaurus word stands for the catalogue's words too ("ferreteria" -> negocio)
            extra = tuple((stem(t), THESAURUS_CLOSENESS) for t in targets if stem(t) in self.idf)
            if extra:
                slot = stem(key) if " " not in key else key
                matched[slot] = matched.get(slot, ()) + extra
        scores: dict[str, float] = {}
        for slug, entry in self.entries.items():
            total = self._guide_score(entry, matched, norm, corroborated=slug == corroborated)
            if total is None:
                continue
            # The portal search does not know near-twins apart: its boost never lifts a variant
            # ("baja de…") that the question does not ask for.
            lifted = not entry.has_base or _variant_adjustment(entry, norm) > 0
            scores[slug] = total + ((boosts or {}).get(slug, 0.0) if lifted else 0.0)
        return sorted(scores.items(), key=lambda item: -item[1])

    def _guide_score(
        self, entry: GuideEntry, matched: dict[str, tuple], norm: str, *, corroborated: bool
    ) -> float | None:
        """One guide's score for the question, or None when its lexical evidence is too thin."""
        evidence = self._evidence(entry, matched)
        total, explained = evidence.total, evidence.explained
        said = _said_variant_stems(entry, norm)
        if said is not None:
            # "le vendi mi tienda": the question says the variant in its own words, so the guide's
            # variant words ("transferencia", "traspaso") are not missing, and the words that said
            # it are explained.
            evidence.hit |= entry.variant_terms
            explained += sum(1 for s in matched if s in said and not _surely_matched(matched[s], entry))
        # Near-twins ("Licencia…" / "Renovación de licencia…"): a guide whose every name has
        # distinctive words the question lacks loses their weight, so the plain one wins
        # unless the question says "renovar".
        missing = min((self._missing_share(name, evidence.hit) for name in entry.names), default=1.0)
        if entry.names:
            total -= NAME_MISS * missing
        adjustment = _variant_adjustment(entry, norm)
        if adjustment < 0 and (entry.has_base or entry.sibling_variants):
            # A near-twin the question does not point at loses a share of its score (not a fixed
            # amount: long questions score high).
            total *= VARIANT_MISS_FACTOR
        else:
            total += adjustment
        if _says_a_phrase(entry, norm):
            total += PHRASE_BONUS
            explained = len(matched)
        if total <= 0:
            return None
        coverage = explained / max(len(matched), 1)
        if not (
            coverage > 0.5
            or (evidence.anchored and coverage >= 0.5)
            or (total >= STRONG_SCORE and explained >= 2)
            or (evidence.tagged and corroborated and coverage >= 1 / 3)
            # one of the guide's names, all but a minor word of it, in a longer story ("pasacalles")
            or (evidence.anchored and missing <= NAMED_MISSING and total >= STRONG_SCORE)
        ):
            return None
        return total

    def _evidence(self, entry: GuideEntry, matched: dict[str, tuple]) -> _Evidence:
        """What the question's words match in one guide."""
        evidence = _Evidence()
        for _query_stem, candidates in matched.items():
            best = 0.0
            sure = False  # matched as written or by a shared long prefix, not only by a close spelling
            for term, closeness in candidates:
                weight = entry.fields.get(term)
                if weight:
                    best = max(best, weight * closeness * self.idf.get(term, 1.0))
                    sure = sure or closeness >= 0.85
                    evidence.anchored = evidence.anchored or (weight >= W_NAME and closeness >= 0.85)
                    # a rare word (one guide holds it) of the guide's names or tags
                    evidence.tagged = evidence.tagged or (
                        weight >= W_TAG and closeness >= 0.85 and self.df.get(term, 99) == 1
                    )
                    if closeness >= 0.85:
                        evidence.hit.add(term)
            evidence.total += best
            evidence.explained += sure
        return evidence

    def _missing_share(self, name: frozenset[str], hit: set[str]) -> float:
        """The share of a name's weight (idf) that the question lacks."""
        weights = {t: self.idf.get(t, 1.0) for t in name}
        whole = sum(weights.values())
        return sum(w for t, w in weights.items() if t not in hit) / whole if whole else 0.0

    @lru_cache(maxsize=4096)  # noqa: B019 - the index lives as long as its content generation
    def _match(self, query_stem: str) -> tuple[tuple[str, float], ...]:
        """Index terms a query stem stands for: itself, a shared long prefix, or a close spelling."""
        out: dict[str, float] = {}
        if query_stem in self.idf:
            out[query_stem] = 1.0
        if len(query_stem) >= 4:  # spelt as it sounds: "lisencia", "bache"/"vache"
            for term in self.sounds.get(phonetic(query_stem), ()):
                out.setdefault(term, 0.9)
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
        entry = GuideEntry(slug=guide["slug"], title=guide["title"], variants=_variants(guide["title"]))
        names = [guide["title"], *guide.get("aliases", [])]
        entry.variant_terms = _variant_terms(entry, names)
        for name in names:
            _add(entry, name, W_NAME)
            entry.phrases.append(normalize(name))
            entry.name_stems.update(stem(w) for w in words(name) if w not in FUNCTION_WORDS)
            entry.names.append(frozenset(stem(w) for w in content_words(name)))
            name_owner[normalize(name)] = guide["slug"]
        _add_words(entry, guide)
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
    _inherit_family_names(entries, guides)
    document_frequency: dict[str, int] = {}
    for entry in entries.values():
        for term in entry.fields:
            document_frequency[term] = document_frequency.get(term, 0) + 1
    n = max(len(entries), 1)
    idf = {term: math.log(1 + n / df) for term, df in document_frequency.items()}
    sounds: dict[str, list[str]] = {}
    for term in sorted(idf):
        sounds.setdefault(phonetic(term), []).append(term)
    return GuideIndex(entries=entries, idf=idf, vocabulary=sorted(idf), df=document_frequency, sounds=sounds)


def _add_words(entry: GuideEntry, guide: dict) -> None:
    """A guide's other words: tags, summary, requirements and steps, category."""
    for tag in guide.get("tags", []):
        _add(entry, tag, W_TAG)
    _add(entry, guide.get("summary", ""), W_SUMMARY)
    for line in [*guide.get("requirements", []), *guide.get("steps", [])]:
        _add(entry, line, W_DETAIL)
    _add(entry, guide.get("category") or "", W_CATEGORY)


def _inherit_family_names(entries: dict[str, GuideEntry], guides: list[dict]) -> None:
    """A variant inherits the names of the guide it is a variant of.

    "Renovación de licencia de funcionamiento" holds the whole name of "Licencia de
    funcionamiento", so the words citizens use for the latter ("licencia de tienda") name
    the former too; the variant's own words ("renovar") then decide between them.
    """
    own_names = {g["slug"]: [normalize(n) for n in [g["title"], *g.get("aliases", [])]] for g in guides}
    for slug, entry in entries.items():
        title = f" {normalize(entry.title)} "
        for other, names in own_names.items():
            if other == slug or not any(len(n.split()) >= 2 and f" {n} " in title for n in names):
                continue
            for term, weight in entries[other].fields.items():
                if weight >= W_NAME and term not in entry.fields:
                    entry.fields[term] = W_NAME
            entries[other].sibling_variants |= entry.variants
            entry.has_base = True


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


# --- near-twins ---------------------------------------------------------------------------
#
# Municipal catalogues hold many variants of one procedure: licence / renewal / closure /
# transfer / duplicate / change / move / suspension of the same thing. A guide whose title
# says which variant it is wins when the question says so too ("se me vencio", "cerre mi
# tienda", "la perdi") and loses when it does not, so the plain procedure is answered.
VARIANTS: dict[str, tuple[re.Pattern, re.Pattern]] = {
    name: (re.compile(rf"\b({title})\b"), re.compile(rf"\b({cue})\b"))
    for name, title, cue in [
        ("renewal", r"renovacion|renovar|revalidacion|prorroga",
         r"renov\w*|renuev\w*|revalid\w*|se (me )?vencio|se (me )?vence|vencid[oa]s?|caduc\w*|prorrog\w*|"
         r"del ano pasado"),
        ("closure", r"baja|cierre definitivo|cancelacion|clausura",
         r"baja|dar de baja|doy de baja|cerre|cerrar|cierro|cancelar|cancelo|"
         r"ya no (voy|vendo|trabajo|tengo|quiero)|no me sigan cobrando"),
        ("duplicate", r"duplicado|reposicion|segunda copia",
         r"duplicado|reposicion|perdi\w*|se me perdio|extravi\w*|robaron|se (me )?(mojo|rompio|quemo|cayo)|"
         r"otra copia|copia|de nuevo"),
        ("transfer", r"transferencia|traspaso|cambio de titular|cambio de propietario|cambio titular",
         r"transfer\w*|traspas\w*|vendi|le vendi|a (su|mi) nombre|cambio de (titular|dueno|propietario)|"
         r"herede|dejar a mi|me lo (kiere|quiere) dejar|se (lo )?paso"),
        ("change", r"modificacion|ampliacion|actualizacion|cambio de rubro|cambio rubro",
         r"modific\w*|ampli\w*|actualiz\w*|cambiar|cambio de rubro|pasar a vender|agrandar"),
        ("move", r"traslado|cambio de domicilio",
         r"trasla\w*|mud[oaé]\w*|me mudo|otra (calle|zona|direccion)|cambio de (local|lugar|direccion)"),
        ("suspension", r"suspension", r"suspen\w*|temporal\w*|unos meses|por un tiempo|pausa"),
        ("resignation", r"renuncia|devolucion", r"renunci\w*|devolver|devuelvo|ya no (kiero|quiero)"),
    ]
}  # fmt: skip
VARIANT_BONUS = 3.0
VARIANT_MISS = 3.0
VARIANT_MISS_FACTOR = 0.8


def _variants(title: str) -> set[str]:
    norm = normalize(title)
    return {name for name, (in_title, _cue) in VARIANTS.items() if in_title.search(norm)}


def _variant_terms(entry: GuideEntry, names: list[str]) -> set[str]:
    """The stems of a variant guide's name words that say its variant."""
    out: set[str] = set()
    for name in names:
        norm = normalize(name)
        for variant in entry.variants:
            for pattern in VARIANTS[variant]:
                for match in pattern.finditer(norm):
                    out.update(stem(w) for w in match.group(0).split() if w not in FUNCTION_WORDS)
    return out


def _said_variant_stems(entry: GuideEntry, norm_question: str) -> set[str] | None:
    """The question's stems that say one of the guide's variants; None when none is said."""
    said: set[str] | None = None
    for variant in entry.variants:
        for match in VARIANTS[variant][1].finditer(norm_question):
            said = (said or set()) | {stem(w) for w in match.group(0).split()}
    return said


def _surely_matched(candidates: tuple, entry: GuideEntry) -> bool:
    return any(closeness >= 0.85 and term in entry.fields for term, closeness in candidates)


def _variant_adjustment(entry: GuideEntry, norm_question: str) -> float:
    """A variant said wins, a variant not said loses; and the plain procedure loses when the
    question says a variant that one of its variants' guides covers ("me doy de baja del puesto")."""
    if not entry.variants:
        said_sibling = any(VARIANTS[name][1].search(norm_question) for name in entry.sibling_variants)
        return -VARIANT_MISS if said_sibling else 0.0
    said = any(VARIANTS[name][1].search(norm_question) for name in entry.variants)
    return VARIANT_BONUS if said else -VARIANT_MISS


# --- ranking a question ---------------------------------------------------------------

# National procedures (the State's, not the municipality's): a question about one of
# them gets no guide. Matched on chat-normalised text.
NATIONAL = re.compile(
    r"\b(carnet de identidad|carnet(?! (sanitario|de sanidad|de salud|de vendedor|de ambulante|de manipulador))|"
    r"cedula de identidad|cedula|ci|pasaporte|pasaportes|licencia de conducir|"
    r"licencia para conducir|licencia de manejo|brevet|segip|visa|visas|antecedentes penales|rejap|"
    r"certificado de nacimiento|partida de nacimiento|registro civil|certificado de matrimonio|sereci|nit|"
    r"impuestos nacionales|renta dignidad|bono juancito pinto|bono|soat|libreta de servicio militar|"
    r"servicio militar|migracion|padron electoral|empadronarme para votar|titulo de bachiller|"
    r"titulo profesional|seguro social|afp|jubilacion|antecedentes|felcc|"
    # other institutions' procedures: property registry, company registry, the cable car, driving schools
    r"derechos reales|ddrr|fundempresa|seprec|matricula de comercio|teleferico|mi teleferico|"
    r"automovil club|licencia de moto|brevete|"
    # national health insurance, universities, electricity and water companies, VAT
    r"cns|caja nacional|caja petrolera|umsa|upea|umss|universidad mayor|delapaz|de la paz electricidad|epsas|"
    r"elfec|semapa|saguapac|iva|factura de luz|factura del agua|"
    # not a procedure at all: sport, weather, holidays, the exchange rate
    r"partido de|juega|jugara|feriado|feriados|clima|va a llover|dolar|tipo de cambio)\b"
)
# Not a question about a procedure at all: asking for an opinion ("cual es la mejor raza de
# perro") or for what a tradesperson charges ("cuanto cobra un albañil"). No guide, unless the
# message also names one in full or places itself with the municipality.
NOT_A_PROCEDURE = re.compile(
    r"\b(cual es (el|la|los|las) mejor(es)?|cuales son (los|las) mejor(es)?|que me recomienda[sn]?|"
    r"cuanto (cobra|cobran) (un|una|el|la|los|las) (albanil|albaniles|plomero|plomeros|gasfitero|electricista|"
    r"carpintero|pintor|abogado|abogada|notario|maestro|maestro albanil|taxista|taxi|chofer|topografo|"
    r"arquitecto|arquitecta|ingeniero|mecanico|doctor|doctora|medico|veterinario|veterinaria|profesor|"
    r"profesora|niñera|ninera|empleada|jardinero|cerrajero|fotografo))\b"
)
# Words that place a question with the municipality itself.
MUNICIPAL = re.compile(r"\b(alcaldia|municipio|municipal|municipalidad|gobierno municipal|subalcaldia|gamlp|gamea)\b")
# A clarifying question is asked when the second guide scores at least this share
# of the first (and neither is named by the question's own words).
CLOSE_RATIO = 0.9
ENTITY_BONUS = 1.0


@dataclass
class Ranking:
    guides: list[tuple[str, float]] = field(default_factory=list)  # above MIN_SCORE, best first
    anchored: bool = False  # the best guide's own name (title or alias) is in the question
    national: bool = False  # about a national procedure, and nothing municipal besides
    unknown_words: list[str] = field(default_factory=list)  # content words of the question
    phrase_match: set[str] = field(default_factory=set)  # guides whose full name is in the question
    # For the best guides: the stems of their titles that the question holds.
    name_hits: dict[str, frozenset[str]] = field(default_factory=dict)

    def with_entities(self, entities: list[str] | None) -> Ranking:
        """The same ranking with Rasa's ``procedure`` entities added as a signal (a ranking
        computed while Rasa was parsing the message)."""
        if not entities:
            return self
        guides = [(slug, score + (ENTITY_BONUS if slug in entities else 0.0)) for slug, score in self.guides]
        guides.sort(key=lambda item: -item[1])
        return Ranking(
            guides=guides,
            anchored=self.anchored,
            national=self.national,
            unknown_words=self.unknown_words,
            phrase_match=self.phrase_match,
            name_hits=self.name_hits,
        )

    @property
    def confidence(self) -> float | None:
        return min(self.guides[0][1] / 10, 1.0) if self.guides else None

    def close_call(self) -> list[str]:
        """The guides to offer when the best two are too close to call; [] when the best is clear."""
        if len(self.guides) < 2:
            return []
        (best, top), (_second, runner_up) = self.guides[0], self.guides[1]
        if best in self.phrase_match and len(self.phrase_match) == 1:
            return []  # the question names this guide: no need to ask
        if runner_up < CLOSE_RATIO * top:
            return []
        close = [slug for slug, score in self.guides[:3] if score >= CLOSE_RATIO * top]
        # A guide whose named words in the question are a strict part of the best one's is not a rival:
        # "se me vencio la licencia de la farmacia" names "farmacia" besides "licencia" and "renovar".
        hits = self.name_hits.get(best)
        if hits:
            close = [slug for slug in close if slug == best or not self.name_hits.get(slug, frozenset()) < hits]
        return close if len(close) > 1 else []


def rank(text: str, *, entities: list[str] | None = None) -> Ranking:
    """The guides a question may be about, best first, with what the answerer needs to decide."""
    content = content_words(text)
    norm_text = normalize(text)
    if NOT_A_PROCEDURE.search(norm_text) and not MUNICIPAL.search(norm_text) and not _named_guides(text):
        return Ranking(national=True, unknown_words=content)
    national = NATIONAL.search(norm_text)
    if national:
        # A national procedure is named. The question is about a municipal one only if it also
        # names a guide (its title or an alias, in full): "fotocopia del carnet para la licencia
        # de funcionamiento?" is; "renovacion de licencia de conducir" is not.
        rest = normalize(text).replace(national.group(0), " ")
        named = _named_guides(rest)
        said = national.group(0)
        norm = f" {normalize(text)} "
        if any(
            said in phrase and f" {phrase} " in norm
            for slug in _named_guides(text) - named
            for phrase in guide_index().entries[slug].phrases
        ):
            # The national word is part of a guide's own name that the question says in full
            # ("perdi mi carnet de comerciante", "el carnet de reciclador"): a municipal question.
            outcome = _rank(text, entities)
            outcome.unknown_words = content
            return outcome
        outcome = _rank(rest, entities)
        if not (MUNICIPAL.search(rest) and outcome.guides and outcome.guides[0][1] >= STRONG_SCORE):
            # Unless the message says it is the municipality's ("soy de la umsa, la tarjeta del bus de la
            # alcaldia") and a guide stands out in the rest of it.
            outcome.guides = [(slug, score) for slug, score in outcome.guides if slug in named]
        outcome.national = not outcome.guides
        outcome.unknown_words = content
        return outcome
    outcome = _rank(text, entities)
    outcome.unknown_words = content
    return outcome


def _rank(text: str, entities: list[str] | None) -> Ranking:
    index = guide_index()
    boosts = _search_boosts(text)
    first = next(iter(boosts), None)  # the portal search's first place
    for slug in entities or []:
        if slug in index.entries:
            boosts[slug] = boosts.get(slug, 0.0) + ENTITY_BONUS
    scored = index.score(text, boosts=boosts, corroborated=first)
    outcome = Ranking(guides=[(slug, score) for slug, score in scored if score >= MIN_SCORE])
    if outcome.guides:
        norm = f" {normalize(text)} "
        outcome.phrase_match = {
            slug
            for slug, _score in outcome.guides[:3]
            if any(len(p.split()) >= 2 and f" {p} " in norm for p in index.entries[slug].phrases)
        }
        asked = {stem(w) for w in content_words(text)}
        outcome.name_hits = {
            slug: frozenset(asked & index.entries[slug].names[0]) for slug, _score in outcome.guides[:3]
        }
        best = index.entries[outcome.guides[0][0]]
        outcome.anchored = outcome.guides[0][0] in outcome.phrase_match or bool(
            {stem(w) for w in content_words(text)} & best.name_stems
        )
    return outcome


def _named_guides(text: str) -> set[str]:
    """Guides one of whose names (of two words or more) the question holds in full."""
    norm = f" {normalize(text)} "
    return {
        slug
        for slug, entry in guide_index().entries.items()
        if any(len(p.split()) >= 2 and f" {p} " in norm for p in entry.phrases)
    }


def resolve_guide(text: str) -> tuple[str | None, float]:
    """The best guide for a question and its score (None below the threshold or when national)."""
    outcome = rank(text)
    if outcome.national or not outcome.guides:
        return None, outcome.guides[0][1] if outcome.guides else 0.0
    return outcome.guides[0]


def _search_boosts(text: str) -> dict[str, float]:
    """The portal search's ranking of guides for the question's content words."""
    query = " ".join(content_words(text))
    if not query:
        return {}
    try:
        from search import selectors as search_selectors

        found = search_selectors.search(query=query, type_name="guide", only=True)
    except Exception:  # never fail an answer for the search
        logger.warning("portal search failed for the chat", exc_info=True)
        return {}
    if getattr(found, "popular", False):
        return {}
    slugs = [hit.slug for hit in found.hits[:3] if hit.slug]
    return {slug: bonus for slug, bonus in zip(slugs, SEARCH_BONUS, strict=False)}


def asks_for(text: str, slug: str, hint: str | None = None) -> str:
    """The fact asked for; "online" words that are part of the guide's name ("vender por internet") don't count."""
    from chatbot.understanding import detect_asks

    asks = hint or detect_asks(text)
    if asks == "online":
        entry = guide_index().entries.get(slug)
        if entry is not None:
            kept = [w for w in words(text) if stem(w) not in entry.name_stems]
            asks = detect_asks(" ".join(kept)) if hint is None else (hint if detect_asks(" ".join(kept)) else None)
    return asks or "requirements"


# --- questions in English ----------------------------------------------------------------

# National procedures named in English (passport, identity card...): no guide, as NATIONAL.
NATIONAL_ENGLISH = re.compile(
    r"\b(passport|passports|identity card|id card|national id|identity document|birth certificate|"
    r"marriage certificate|(driver s|drivers|driver|driving) licen[cs]e|visa|visas|criminal record|police record|"
    r"tax id|tax number|national tax|social security|pension|military service|voter|electoral|"
    r"university|degree certificate|segip|sereci|exchange rate|weather|football|soccer)\b"
)
MUNICIPAL_ENGLISH = re.compile(r"\b(municipality|municipal|city hall|town hall|mayor s office|city council)\b")
# The portal search's score of an English guide must reach this to count at all (its scores
# run from about 0.3 for one shared word to above 1 for the guide's name).
ENGLISH_MIN_SEARCH_SCORE = 0.35
# Search scores are scaled by this to sit on the resolver's scale (MIN_SCORE, STRONG_SCORE).
ENGLISH_SCALE = 10.0
# Words of an English question that say what is wanted, not about what.
ENGLISH_QUESTION_WORDS = frozenset(
    "need want get getting know tell please hello hi thanks thank much many long cost costs fee fees price "
    "pay paying take takes apply applying requirements requirement documents document papers bring where "
    "office offices hours address online internet website procedure procedures process can will".split()
)


# Words that make a guide a variant of another ("Renewal of the operating licence" next to
# "Operating licence"): a variant not said in the question counts less, one said counts more.
ENGLISH_VARIANT_ROOTS = ("renew", "duplicat", "replac", "transfer", "clos", "cancel", "chang", "modif", "exten")
ENGLISH_VARIANT_MISS = 0.8
ENGLISH_VARIANT_SAID = 1.2


def _english_variants(text: str) -> set[str]:
    return {root for word in words(text) for root in ENGLISH_VARIANT_ROOTS if word.startswith(root)}


def english_content_words(text: str) -> list[str]:
    """The words of an English question that may name a guide."""
    from search.analysis import ENGLISH_STOP_WORDS

    return [
        word
        for word in words(text)
        if word not in ENGLISH_STOP_WORDS and word not in ENGLISH_QUESTION_WORDS and len(word) > 1
    ]


def _english_search(content: list[str]) -> list:
    """The portal search's best guides for an English question's content words (active language)."""
    if not content:
        return []
    try:
        from search import selectors as search_selectors

        found = search_selectors.search(query=" ".join(content), type_name="guide", only=True)
    except Exception:  # never fail an answer for the search
        logger.warning("portal search failed for an English chat question", exc_info=True)
        return []
    if getattr(found, "popular", False):
        return []
    return [hit for hit in found.hits[:5] if hit.slug and hit.score >= ENGLISH_MIN_SEARCH_SCORE]


def rank_english(text: str) -> Ranking:
    """The guides an English question may be about: the portal search over the guides' English
    translations (and the originals of untranslated ones), mapped to the original guides.

    Call with English active (``translation.override("en")``): the search reads the active
    language's documents. A national procedure named in English gets no guide.
    """
    norm = normalize(text)
    content = english_content_words(text)
    outcome = Ranking(unknown_words=content)
    if NATIONAL_ENGLISH.search(norm) and not MUNICIPAL_ENGLISH.search(norm):
        outcome.national = True
        return outcome
    hits = _english_search(content)
    if not hits:
        return outcome
    from chatbot import selectors

    originals = selectors.guide_originals(slugs=[hit.slug for hit in hits])
    asked = {stem(word) for word in content}
    said_variants = _english_variants(text)
    seen: set[str] = set()
    for hit in hits:
        original = originals.get(hit.slug)
        if original is None or original in seen:
            continue
        seen.add(original)
        score = hit.score * ENGLISH_SCALE
        variants = _english_variants(hit.title)
        if variants - said_variants:
            score *= ENGLISH_VARIANT_MISS
        elif variants & said_variants:
            score *= ENGLISH_VARIANT_SAID
        outcome.guides.append((original, score))
        title_words = {stem(word) for word in english_content_words(hit.title)}
        outcome.name_hits[original] = frozenset(asked & title_words)
        title = " ".join(words(hit.title))
        if len(title.split()) >= 2 and f" {title} " in f" {norm} ":
            outcome.phrase_match.add(original)
    outcome.guides.sort(key=lambda item: -item[1])
    best = outcome.guides[0][0] if outcome.guides else None
    outcome.anchored = bool(best and (best in outcome.phrase_match or outcome.name_hits.get(best)))
    return outcome
