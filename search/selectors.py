"""Reads for the portal's search: results, facets, suggestions, editors' picks."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.conf import settings
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import translation
from django.utils.functional import lazy
from django.utils.safestring import SafeString
from modelsearch.backends import get_search_backend
from modelsearch.backends.elasticsearchbase import ElasticsearchBaseSearchBackend
from modelsearch.query import Fuzzy, PlainText

from search import ranking, registry, vocabulary
from search.analysis import clean_text, content_words, query_terms, words
from search.models import PageVisitCount, SearchDocument

logger = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 200
# The full-text index's best matches per type that are ranked here (and the most a type's
# facet counts): five pages of ten. 100 cost 2-4 ms more per search at 10 000 guides
# (fetching and ranking twice the documents) for the same relevance on the 183-guide
# catalogue (chatbot/eval/search_large.yaml: 96.6 % first, 99.0 % in the first three).
CANDIDATES_PER_TYPE = 50
POPULAR_GUIDES = 10
MAX_SUGGESTIONS = 8


class UnknownType(ValueError):
    """``type=`` names no type the portal knows."""


@dataclass
class SearchHit:
    type: str
    type_label: str
    title: str
    url: str
    slug: str
    snippet: SafeString
    score: float
    object_id: str = ""
    language: str = ""  # the document's language ("" for what has none, e.g. datasets)

    @property
    def in_other_language(self) -> str:
        """The hit's language when it is not the active one (an untranslated page in English results)."""
        active = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
        return self.language if self.language and self.language.split("-")[0] != active else ""


@dataclass
class Facet:
    type: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Promotion:
    title: str
    url: str
    description: str


@dataclass
class SearchOutcome:
    query: str
    type: str | None
    hits: list[SearchHit] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
    interpreted_as: str | None = None
    popular: bool = False

    @property
    def total(self) -> int:
        return len(self.hits)


def clean_query(raw: str | None) -> str:
    """Whitespace collapsed, control characters dropped, at most MAX_QUERY_LENGTH characters."""
    return clean_text(raw, max_length=MAX_QUERY_LENGTH)


def validate_type(raw: str | None) -> str | None:
    value = (raw or "").strip()
    if not value:
        return None
    if value not in registry.type_names():
        raise UnknownType(value)
    return value


def _languages() -> list[str]:
    return list(dict.fromkeys([translation.get_language() or settings.LANGUAGE_CODE, settings.LANGUAGE_CODE, ""]))


def _backend_query(words_to_find: list[str]):
    text = " ".join(words_to_find)
    if isinstance(get_search_backend(), ElasticsearchBaseSearchBackend):  # noqa: SIM108
        return Fuzzy(text, operator="or")  # fuzziness AUTO on top of the Spanish analyzer
    return PlainText(text, operator="or")


def _candidates(
    search_type: registry.SearchType, words_to_find: list[str], limit: int = CANDIDATES_PER_TYPE
) -> dict[str, int]:
    """Object ids the backend finds, with their backend rank (0 = best).

    Goes through the backend rather than ``QuerySet.search()`` so that any
    indexed model's queryset works, not only pages'.
    """
    backend = get_search_backend()
    if type(backend).__name__ == "SQLiteSearchBackend":
        return _fts5_candidates(search_type, words_to_find, limit)
    query = _backend_query(words_to_find)
    results = backend.search(query, search_type.get_queryset(), order_by_relevance=True)[:limit]
    if hasattr(results, "get_queryset"):  # database backends: ids only, no model instances
        ids = [str(pk) for pk in results.get_queryset().values_list("pk", flat=True)]
    else:
        ids = [str(obj.pk) for obj in results]
    # An external index (Elasticsearch) filters on what it stored, which a
    # QuerySet.update() or a new view restriction leaves stale: keep only what
    # the database says is public now.
    visible = {str(pk) for pk in search_type.get_queryset().filter(pk__in=ids).values_list("pk", flat=True)}
    ids = [object_id for object_id in ids if object_id in visible]
    return {object_id: rank for rank, object_id in enumerate(ids)}


def _visible_documents_q(search_types: list[registry.SearchType]) -> Q:
    """Documents whose object is public right now, as ``object_id IN`` each type's queryset (for suggestions)."""
    conditions = [
        Q(
            kind=search_type.name,
            object_id__in=search_type.get_queryset().order_by().annotate(_sid=Cast("pk", CharField())).values("_sid"),
        )
        for search_type in search_types
    ]
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def _fts5_candidates(search_type: registry.SearchType, words_to_find: list[str], limit: int) -> dict[str, int]:
    """The same search on Wagtail's SQLite FTS5 index, asked directly.

    modelsearch's SQLite backend annotates each match's score with a
    correlated subquery that runs MATCH again per row; for OR queries matching
    thousands of entries that takes seconds. Here one MATCH ordered by bm25
    (title 3, body 1, as the backend weighs them) picks the best entries, and
    the type's queryset then keeps only what may be shown.
    """
    from modelsearch.conf import get_app_config
    from modelsearch.utils import get_descendants_content_types_pks

    model = search_type.get_model()
    entries = get_app_config().get_model("IndexEntry")._meta.db_table
    fts = f"{entries}_fts"
    content_types = get_descendants_content_types_pks(model)
    match = "{title body}: (" + " OR ".join(f'"{word}"' for word in words_to_find) + ")"
    placeholders = ", ".join(["%s"] * len(content_types))
    sql = (
        f"SELECT e.object_id FROM {fts} JOIN {entries} e ON e.id = {fts}.rowid "
        f"WHERE {fts} MATCH %s AND e.content_type_id IN ({placeholders}) "
        f"ORDER BY bm25({fts}, 0.0, 1.0, 3.0) LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [match, *content_types, limit * 3])
        ranked = [row[0] for row in cursor.fetchall()]
    visible = {str(pk) for pk in search_type.get_queryset().filter(pk__in=ranked).values_list("pk", flat=True)}
    ids = [object_id for object_id in ranked if object_id in visible][:limit]
    return {object_id: rank for rank, object_id in enumerate(ids)}


def search(*, query: str, type_name: str | None = None, only: bool = False) -> SearchOutcome:
    """Rank every registered type for ``query``; ``type_name`` only filters the hits (facets keep all).

    ``only``: search the ``type_name`` type alone, without facets or promotions (the
    chatbot's signal, where the other types' work would be wasted).

    On the database backends (SQLite FTS5, PostgreSQL) a search is one SQL
    query for the candidates of every type with their documents (snippets
    included) plus one for the editors' picks; the vocabulary correction comes
    from the cache (``vocabulary.expand_cached``).
    """
    if only and type_name and query:
        return _search_one_type(query=query, type_name=type_name)
    outcome = SearchOutcome(query=query, type=type_name)
    if not query:
        outcome.popular = True
        outcome.hits = guides_most_visited() if type_name in (None, "guide") else []
        outcome.facets = _facets({}, type_name)
        return outcome
    usable = vocabulary.usable_expansions(query_terms(query))
    interpreted = " ".join(e.best or e.term for e in usable)
    if any(e.corrected for e in usable):
        outcome.interpreted_as = interpreted
    outcome.promotions = promotions_for(query=query, also=outcome.interpreted_as)
    if not usable:
        outcome.facets = _facets({}, type_name)
        return outcome
    words_to_find = sorted({w for e in usable for w in e.variants})
    documents = _without_translated_originals(_ranked_documents(registry.get_types(), words_to_find))
    hits = _rank(documents, usable, interpreted)
    outcome.facets = _facets(_count(hits), type_name)
    outcome.hits = [hit for hit in hits if type_name is None or hit.type == type_name]
    return outcome


ONE_TYPE_CANDIDATES = 20  # the chatbot reads the first three


def _search_one_type(*, query: str, type_name: str) -> SearchOutcome:
    outcome = SearchOutcome(query=query, type=type_name)
    usable = vocabulary.usable_expansions(query_terms(query))
    if not usable:
        return outcome
    interpreted = " ".join(e.best or e.term for e in usable)
    words_to_find = sorted({w for e in usable for w in e.variants})
    search_type = registry.get_type(type_name)
    if search_type is None:
        return outcome
    outcome.hits = _rank(_ranked_documents([search_type], words_to_find, ONE_TYPE_CANDIDATES), usable, interpreted)
    return outcome


# Candidates read from the index per type before the visibility check; more
# than kept, so that a few stale entries (hidden objects whose document
# stayed) do not shorten a type's list.
CANDIDATE_MARGIN = 20
CANDIDATES_TABLE = "ayni_search_candidates"
TOP_FACTOR = 3


@dataclass
class RankedDocument:
    """The columns of a search document that ranking and snippets read, with the backend's rank."""

    kind: str
    object_id: str
    title: str
    url: str
    slug: str
    strong: str
    text: str
    title_words: str
    strong_words: str
    text_words: str
    language: str
    backend_rank: int

    @property
    def strong_lines(self) -> list[str]:
        return [line for line in self.strong.splitlines() if line.strip()]

    @property
    def text_lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line.strip()]


RANKED_FIELDS = [f.name for f in dataclasses.fields(RankedDocument) if f.name != "backend_rank"]
# The compiled documents query of a set of types and languages, reused this long (compiling
# the types' querysets costs more than running the query): a type's queryset must not
# depend on the moment (Wagtail's scheduled publishing changes ``live`` itself).
COMPILED_SECONDS = 60.0
_compiled: dict[tuple, tuple[float, object, tuple]] = {}  # compiled SQL, and each type set's content types


def _documents_sql(types: list[registry.SearchType], languages: list[str]) -> tuple[str, tuple]:
    """The documents of the candidates (table ``CANDIDATES_TABLE``) that each type's queryset shows now."""
    key = (connection.alias, connection.vendor, tuple((t.name, id(t)) for t in types), tuple(languages))
    cached = _compiled.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1], cached[2]
    table = connection.ops.quote_name(SearchDocument._meta.db_table)
    documents = (
        SearchDocument.objects.filter(_visible_exists_q(types))
        .extra(select={"backend_rank": f"{table}.backend_rank"})
        .order_by()
        .values_list(*RANKED_FIELDS, "backend_rank")
    )
    sql, params = documents.query.sql_with_params()
    # The live-state check runs on the candidates' documents only: the FROM becomes the
    # candidates joined to their documents, fenced (OFFSET 0) and named like the table, so
    # that no planner evaluates the check for every document first.
    placeholders = ", ".join(["%s"] * len(languages))
    head, sep, tail = sql.partition(f" FROM {table} ")
    if not sep or not tail.startswith("WHERE "):
        raise RuntimeError("unexpected documents query")
    if connection.vendor == "postgresql":
        # Per candidate, its document by the unique index and the type's check on that one row: a
        # LATERAL with a LIMIT is planned per row, so PostgreSQL neither hash-joins every document of
        # the catalogue nor computes the check for every page (both of which it chose at 10000 guides).
        per_candidate = (
            f"SELECT {table}.* FROM {table} WHERE {table}.kind = c.kind AND {table}.object_id = c.object_id "
            f"AND {table}.language IN ({placeholders}) AND ({tail.removeprefix('WHERE ')}) LIMIT 1"
        )
        fenced = (
            f"(SELECT d.*, c.backend_rank FROM {CANDIDATES_TABLE} c CROSS JOIN LATERAL ({per_candidate}) d "
            f"OFFSET 0) AS {table}"
        )
        tail = ""
    else:
        fenced = (
            f"(SELECT d.*, c.backend_rank FROM {CANDIDATES_TABLE} c JOIN {table} d "
            f"ON d.kind = c.kind AND d.object_id = c.object_id WHERE d.language IN ({placeholders})) AS {table}"
        )
    sql, params = f"{head} FROM {fenced} {tail}".rstrip(), [*languages, *params]
    if len(_compiled) > 100:
        _compiled.clear()
    _compiled[key] = (time.monotonic() + COMPILED_SECONDS, sql, tuple(params))
    return sql, tuple(params)


def _ranked_documents(types: list[registry.SearchType], words_to_find: list[str], limit: int = CANDIDATES_PER_TYPE):
    """The documents of the best ``limit`` candidates per type, each with ``backend_rank`` (0 = best).

    Database backends: one query. A CTE asks the full-text index once for all
    types (``ROW_NUMBER()`` per type over the backend's own rank: bm25 on
    SQLite FTS5, ``ts_rank`` on PostgreSQL); the outer query joins the search
    documents in the request's languages and keeps only the objects that
    each type's queryset shows now (a correlated ``EXISTS``, so stale
    documents never show). Elasticsearch: one backend query per type, as
    before, then the documents.
    """
    candidates = _candidates_sql(types, words_to_find, limit + CANDIDATE_MARGIN)
    if candidates is None:
        return _documents_from_backend(types, words_to_find, limit)
    cte_sql, cte_params = candidates
    sql, params = _documents_sql(types, _languages())
    try:
        with connection.cursor() as cursor:
            # PostgreSQL would inline the CTE and, misjudging its size, run it again per document.
            materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
            cursor.execute(f"WITH {CANDIDATES_TABLE} AS {materialized}({cte_sql}) {sql}", [*cte_params, *params])
            rows = [RankedDocument(*row) for row in cursor.fetchall()]
    except Exception:  # a broken index must not take the page down: no results, logged
        logger.exception("Search failed")
        return []
    rows.sort(key=lambda document: (document.kind, document.backend_rank))
    kept, seen = [], {}
    for document in rows:
        rank = seen.get(document.kind, 0)
        if rank < limit:
            document.backend_rank = rank
            kept.append(document)
        seen[document.kind] = rank + 1
    return kept


def _candidates_sql(types, words_to_find: list[str], limit: int) -> tuple[str, list] | None:
    """SQL for (kind, object_id, backend_rank) of the index entries matching any word, or None (Elasticsearch)."""
    from modelsearch.conf import get_app_config
    from modelsearch.utils import get_descendants_content_types_pks

    backend = get_search_backend()
    backend_name = type(backend).__name__
    if backend_name not in ("SQLiteSearchBackend", "PostgresSearchBackend") or not words_to_find:
        return None
    key = ("kinds", connection.alias, tuple((t.name, id(t)) for t in types))
    cached = _compiled.get(key)
    if cached is not None and cached[0] > time.monotonic():
        kinds = cached[1]
    else:
        kinds: dict[int, str] = {}
        for search_type in types:
            model = search_type.get_model()
            if model is not None:
                for content_type in get_descendants_content_types_pks(model):
                    kinds.setdefault(content_type, search_type.name)
        _compiled[key] = (time.monotonic() + COMPILED_SECONDS, kinds, ())
    if not kinds:
        return None
    entries = get_app_config().get_model("IndexEntry")._meta.db_table
    kind_case = "CASE e.content_type_id " + " ".join(f"WHEN {int(ct)} THEN %s" for ct in kinds) + " END"
    content_types = ", ".join(str(int(ct)) for ct in kinds)
    # The index's best entries overall first (a bounded sort: its cost grows with the bound),
    # then the best ``limit`` per type among them: a type whose best match is not among the
    # first ``TOP_FACTOR`` × ``limit`` entries of the whole index shows nothing for that query.
    top = int(limit) * TOP_FACTOR
    params: list = []
    if backend_name == "SQLiteSearchBackend":
        fts = f"{entries}_fts"
        # No column filter (it makes FTS5 read positions): the autocomplete column weighs 0.
        best = (
            f"SELECT rowid AS id, bm25({fts}, 0.0, 1.0, 3.0) AS score FROM {fts} "
            f"WHERE {fts} MATCH %s ORDER BY score LIMIT {top}"
        )
        params.append(" OR ".join(f'"{word}"' for word in words_to_find))
        order = "score ASC"  # bm25: lower is better
    else:
        from modelsearch.backends.database.postgres.weights import get_sql_weights

        weights = get_sql_weights()
        # ``title @@ q OR body @@ q``: the query is an OR of single words, so this is the same match as
        # ``(title || body) @@ q`` without concatenating two vectors for every row (a quarter faster).
        best = (
            "SELECT e.id AS id, "
            "ts_rank(%s::real[], e.title, q) * e.title_norm + ts_rank(%s::real[], e.body, q) AS score "
            f"FROM {entries} e, to_tsquery(%s::regconfig, %s) AS q "
            f"WHERE (e.title @@ q OR e.body @@ q) AND e.content_type_id IN ({content_types}) "
            f"ORDER BY score DESC LIMIT {top}"
        )
        tsquery = " | ".join("'" + word.replace("'", "''").replace("\\", "\\\\") + "'" for word in words_to_find)
        params += [weights, weights, backend.config or "simple", tsquery]
        order = "score DESC"
    params = [*kinds.values(), *params]  # the CASE comes first in the text
    sql = (
        "SELECT kind, object_id, backend_rank FROM ("
        f"SELECT kind, object_id, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY {order}, object_id) AS backend_rank "
        f"FROM (SELECT {kind_case} AS kind, CAST(e.object_id AS TEXT) AS object_id, best.score AS score "
        f"FROM ({best}) AS best JOIN {entries} e ON e.id = best.id "
        f"WHERE e.content_type_id IN ({content_types})) AS typed) AS ranked WHERE backend_rank <= {int(limit)}"
    )
    return sql, params


def _visible_exists_q(search_types: list[registry.SearchType]) -> Q:
    """Documents whose object each type's queryset shows right now, as a correlated ``EXISTS`` per type.

    The documents of hidden, removed, unpublished or restricted objects are
    dropped when that happens (``search.services``); this filter holds even
    if a change bypassed that path.
    """
    conditions = []
    for search_type in search_types:
        model = search_type.get_model()
        if model is None:
            continue
        pk = model._meta.pk
        target = pk.target_field if pk.is_relation else pk
        outer = OuterRef("object_id")
        if isinstance(target, IntegerField):
            outer = Cast(outer, BigIntegerField())
        conditions.append(Q(kind=search_type.name) & Exists(search_type.get_queryset().order_by().filter(pk=outer)))
    return reduce(or_, conditions) if conditions else Q(pk__in=[])


def _documents_from_backend(types: list[registry.SearchType], words_to_find: list[str], limit: int):
    candidates: dict[str, dict[str, int]] = {}
    for search_type in types:
        try:
            candidates[search_type.name] = _candidates(search_type, words_to_find, limit)
        except Exception:  # one broken type (or backend) must not take the whole search down
            logger.exception("Search failed for type %s", search_type.name)
    documents = list(_documents(candidates))
    for document in documents:
        document.backend_rank = candidates[document.kind].get(document.object_id, CANDIDATES_PER_TYPE)
    return documents


def _documents(candidates: dict[str, dict[str, int]]):
    conditions = [Q(kind=kind, object_id__in=list(ids)) for kind, ids in candidates.items() if ids]
    if not conditions:
        return []
    return SearchDocument.objects.filter(reduce(or_, conditions), language__in=_languages())


_lazy_snippet = lazy(ranking.snippet, SafeString)


def _without_translated_originals(documents: list) -> list:
    """In another language than the default, drops the default-language pages that have a live
    translation in it (that translation is found instead); untranslated pages stay (one query)."""
    from wagtail.models import Page

    language = translation.get_language() or settings.LANGUAGE_CODE
    if language == settings.LANGUAGE_CODE:
        return documents
    page_kinds = {search_type.name for search_type in registry.get_types() if search_type.is_page}
    ids = {int(d.object_id) for d in documents if d.kind in page_kinds and str(d.object_id).isdigit()}
    if not ids:
        return documents
    translated = Page.objects.live().filter(locale__language_code=language).values("translation_key")
    originals = {
        str(pk)
        for pk in Page.objects.filter(pk__in=ids, translation_key__in=translated)
        .exclude(locale__language_code=language)
        .values_list("pk", flat=True)
    }
    return [d for d in documents if not (d.kind in page_kinds and str(d.object_id) in originals)]


def _rank(documents, expansions, interpreted: str) -> list[SearchHit]:
    """Score the documents (``backend_rank`` set on each); snippets are computed when read."""
    weights = ranking.idf_weights(expansions, vocabulary.document_total())
    hits = []
    types = {t.name: t for t in registry.get_types()}
    labels: dict[str, str] = {}  # each label translated once, for the types that have hits
    for document in documents:
        search_type = types.get(document.kind)
        if search_type is None:
            continue
        scored = ranking.score_document(document, expansions, weights, interpreted)
        if not scored.score:
            continue
        label = labels.get(document.kind)
        if label is None:
            label = labels[document.kind] = registry.type_label(document.kind)
        rank = document.backend_rank
        score = scored.score * search_type.boost + 0.01 * (1 - rank / CANDIDATES_PER_TYPE)
        hits.append(
            SearchHit(
                type=document.kind,
                type_label=label,
                title=document.title,
                url=document.url,
                slug=document.slug,
                snippet=_lazy_snippet(document, scored.matched),
                score=round(score, 4),
                object_id=document.object_id,
                language=document.language,
            )
        )
    hits.sort(key=lambda hit: (-hit.score, hit.title))
    return hits


def _count(hits: list[SearchHit]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for hit in hits:
        counts[hit.type] = counts.get(hit.type, 0) + 1
    return counts


def _facets(counts: dict[str, int], selected: str | None) -> list[Facet]:
    names = [t.name for t in registry.get_types()]
    if selected and selected not in names:
        names.append(selected)
    return [Facet(name, registry.type_label(name), counts.get(name, 0), name == selected) for name in names]


def guides_most_visited(*, limit: int = POPULAR_GUIDES) -> list[SearchHit]:
    """What an empty search shows: the guides citizens open most."""
    guide_type = registry.get_type("guide")
    if guide_type is None:
        return []
    visits = PageVisitCount.objects.filter(page_id=OuterRef("pk")).values("visits")[:1]
    # The guides in the request's language (their translations are pages of their own), or
    # the default language's in a language that has none.
    language = translation.get_language() or settings.LANGUAGE_CODE
    in_language = guide_type.get_queryset().filter(locale__language_code=language)
    if language != settings.LANGUAGE_CODE and not in_language.exists():
        in_language = guide_type.get_queryset().filter(locale__language_code=settings.LANGUAGE_CODE)
    guides = in_language.annotate(visit_count=Coalesce(Subquery(visits), Value(0))).order_by("-visit_count", "title")[
        :limit
    ]
    order = {str(page.pk): (i, page.visit_count) for i, page in enumerate(guides)}
    documents = SearchDocument.objects.filter(kind="guide", object_id__in=list(order), language__in=_languages())
    hits = [
        SearchHit(
            type="guide",
            type_label=registry.type_label("guide"),
            title=document.title,
            url=document.url,
            slug=document.slug,
            snippet=ranking.snippet(document, set()),
            score=float(order[document.object_id][1]),
            object_id=document.object_id,
            language=document.language,
        )
        for document in documents
    ]
    hits.sort(key=lambda hit: order[hit.object_id][0])
    return hits


PROMOTED_KEY = "search:promoted-queries"
PROMOTED_SECONDS = 300


def promoted_queries() -> frozenset[str]:
    """The query strings editors promoted something for, from the shared cache.

    Most searches match none, so they skip the promotions query. Saving or deleting
    a promotion drops the cached set at once (``search.signals``); the timeout only
    bounds how long a change made around the cache (e.g. a raw SQL edit) may go unseen.
    """
    from django.core.cache import cache
    from wagtail.contrib.search_promotions.models import SearchPromotion

    cached = cache.get(PROMOTED_KEY)
    if isinstance(cached, frozenset):
        return cached
    promoted = frozenset(SearchPromotion.objects.values_list("query__query_string", flat=True).distinct())
    cache.set(PROMOTED_KEY, promoted, timeout=PROMOTED_SECONDS)
    return promoted


def promoted_queries_forget() -> None:
    from django.core.cache import cache

    cache.delete(PROMOTED_KEY)


def promotions_for(*, query: str, also: str | None = None) -> list[Promotion]:
    """Editors' picks (wagtail.contrib.search_promotions) for the query as typed, folded or corrected."""
    from wagtail.contrib.search_promotions.models import SearchPromotion
    from wagtail.search.utils import normalise_query_string

    keys = {normalise_query_string(query), " ".join(words(query))}
    if also:
        keys.add(also)
    if keys.isdisjoint(promoted_queries()):
        return []
    picks = (
        SearchPromotion.objects.filter(query__query_string__in=keys).select_related("page").order_by("sort_order", "pk")
    )
    promotions, seen = [], set()
    for pick in picks:
        if pick.page is not None:
            if not pick.page.live:
                continue
            url, title = pick.page.url or "", pick.page.title
        else:
            url, title = pick.external_link_url, pick.external_link_text or pick.external_link_url
        if url and url not in seen:
            seen.add(url)
            promotions.append(Promotion(title=title, url=url, description=pick.description))
    return promotions


def suggest(*, prefix: str, limit: int = MAX_SUGGESTIONS) -> list[dict]:
    """Up to ``limit`` titles whose words start with the typed ones, accent-insensitive.

    "tram" finds "Trámite…"; "patente neg" finds the guide whose alias is
    "patente de negocio" (its title is returned).
    """
    typed = words(clean_query(prefix))
    if not typed or len(typed[-1]) < 2 and not typed[-1].isdigit():
        return []
    last, complete = typed[-1], [w for w in content_words(" ".join(typed[:-1]))][:5]
    title_match = Q(title_words__contains=f" {last}")
    strong_match = Q(strong_words__contains=f" {last}")
    for word in complete:
        title_match &= Q(title_words__contains=f" {word}")
        strong_match &= Q(strong_words__contains=f" {word}")
    types = registry.get_types()
    order = {search_type.name: i for i, search_type in enumerate(types)}
    documents = (
        SearchDocument.objects.filter(title_match | strong_match, language__in=_languages(), kind__in=order)
        .filter(_visible_documents_q(types))
        .annotate(
            in_title=Case(When(title_match, then=Value(0)), default=Value(1), output_field=IntegerField()),
            kind_order=Case(*[When(kind=k, then=Value(i)) for k, i in order.items()], output_field=IntegerField()),
        )
        .order_by("in_title", "kind_order", "title")
        .values("title", "url", "kind")[:limit]
    )
    return [
        {"title": d["title"], "url": d["url"], "type": d["kind"], "type_label": registry.type_label(d["kind"])}
        for d in documents
    ]


def index_is_complete() -> bool:
    """Whether every searchable object has its search document (``manage.py ensure_index``)."""
    expected = sum(search_type.get_queryset().count() for search_type in registry.get_types())
    return SearchDocument.objects.count() == expected


def zero_result_query_count(*, days: int = 7) -> int:
    """How many different searches found nothing in the last ``days`` days (the admin dashboard)."""
    from datetime import timedelta

    from django.utils import timezone

    from search.models import ZeroResultQuery

    return ZeroResultQuery.objects.filter(last_seen__gte=timezone.now() - timedelta(days=days)).count()


# --- What citizens could not find, grouped (issue 13, item 4) -------------------------------------

GROUP_KEY_LENGTH = 255


def similar_key(text: str) -> str:
    """The key that groups similar questions: their distinct stemmed content words, sorted.

    Case and accents are folded, chat spellings expanded ("kiero" -> "quiero"), and
    stop words dropped (Spanish and how people ask, "requisitos", "cuánto cuesta"),
    so "¿Requisitos de la cevichería?" and "cevicheria requisitos" share a key. A
    text of stop words only keys on its stemmed Spanish content words, or on its words.
    """
    from search.analysis import chat_content_words, chat_words, stem

    chosen = chat_content_words(text) or [w for w in content_words(" ".join(chat_words(text))) if len(w) > 1]
    if not chosen:
        return " ".join(words(text))[:GROUP_KEY_LENGTH]
    return " ".join(sorted({stem(word) for word in chosen}))[:GROUP_KEY_LENGTH]


def group_similar(rows, *, handled: dict) -> list[dict]:
    """Merge ``rows`` ({"text", "times", "last_seen"}) by ``similar_key`` into groups.

    A group: ``key``, ``text`` (the most recent wording, an example), ``times``,
    ``variants`` (distinct wordings), ``last_seen`` and ``handled`` (the mark from
    ``handled``, key -> mark with ``handled_at``, when nothing was seen after it, else None).
    """
    groups: dict[str, dict] = {}
    for row in rows:
        key = similar_key(row["text"])
        if not key:
            continue
        group = groups.get(key)
        if group is None:
            groups[key] = {"key": key, "text": row["text"], "times": 0, "variants": 0, "last_seen": row["last_seen"]}
            group = groups[key]
        elif row["last_seen"] > group["last_seen"]:
            group["text"], group["last_seen"] = row["text"], row["last_seen"]
        group["times"] += row["times"]
        group["variants"] += 1
    for group in groups.values():
        mark = handled.get(group["key"])
        group["handled"] = mark if mark is not None and mark.handled_at >= group["last_seen"] else None
    return sorted(groups.values(), key=lambda g: (-g["times"], -g["last_seen"].timestamp(), g["key"]))


def zero_result_groups(*, days: int = 30, state: str = "pending") -> list[dict]:
    """Zero-result searches of the last ``days`` days grouped by ``similar_key``.

    ``state``: "pending" (not handled, or searched again since), "handled" or "all".
    """
    from datetime import timedelta

    from django.utils import timezone

    from search.models import ZeroResultHandled, ZeroResultQuery

    since = timezone.now() - timedelta(days=days)
    rows = [
        {"text": example, "times": count, "last_seen": last_seen}
        for example, count, last_seen in ZeroResultQuery.objects.filter(last_seen__gte=since).values_list(
            "example", "count", "last_seen"
        )
    ]
    keys = {similar_key(row["text"]) for row in rows}
    marks = ZeroResultHandled.objects.filter(key__in=keys).select_related("handled_by", "guide")
    return filter_groups(group_similar(rows, handled={mark.key: mark for mark in marks}), state=state)


def filter_groups(groups: list[dict], *, state: str) -> list[dict]:
    if state == "handled":
        return [g for g in groups if g["handled"] is not None]
    if state == "all":
        return groups
    return [g for g in groups if g["handled"] is None]


def zero_result_group(*, key: str, days: int = 365) -> dict | None:
    """The group of zero-result searches with this key (handled or not), or None."""
    return next((g for g in zero_result_groups(days=days, state="all") if g["key"] == key), None)
