"""Writes of the search app: search documents, vocabulary, visits, query log."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from modelsearch import index as search_index

from ayni.counters import cache_increment
from search import registry, vocabulary
from search.analysis import clean_text, stem, words
from search.models import PageVisitCount, SearchDocument, SearchTerm, ZeroResultQuery

BATCH = 500
VISITS_KEY = "ayni:search:visits:{page_id}"
QUERY_LOG_LENGTH = 200
QUERY_LOG_NEXT_KEY = "ayni:search:querylog:next"
QUERY_LOG_SLOT_KEY = "ayni:search:querylog:{slot}"
QUERY_LOG_SECONDS = 7 * 24 * 3600
QUERY_FLUSH_EVERY = 20  # searches per batch handed to the worker (setting AYNI_SEARCH_QUERY_FLUSH_EVERY)


def _chunks(items: Iterable, size: int = BATCH):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _document_values(search_type: registry.SearchType, obj) -> dict:
    data = search_type.document(obj)
    strong = "\n".join(clean_text(s, max_length=500) for s in data.strong if s and s.strip())
    text = "\n".join(clean_text(t, max_length=20_000) for t in data.text if t and t.strip())
    title = clean_text(data.title, max_length=500)
    return {
        "language": data.language or "",
        "title": title,
        "url": data.url[:1000],
        "slug": (data.slug or "")[:255],
        "strong": strong,
        "text": text,
        "title_words": f" {' '.join(words(title))} ",
        "strong_words": f" {' '.join(words(strong))} " if strong else "",
        "text_words": " ".join(sorted(set(words(text)))),
    }


def search_generation_renew() -> None:
    """Documents or vocabulary changed: cached expansions and counts of the old generation are not used again.

    Now (this process sees its own change at once) and after commit (so that a
    search between the two cannot keep the old vocabulary under the new name).
    """

    def renew() -> None:
        cache.set(vocabulary.GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        vocabulary.forget_local()

    renew()
    transaction.on_commit(renew)


def _vocabulary_change(*, added: set[str], removed: set[str]) -> None:
    """Keep per-word document counts in step with one document's change."""
    for chunk in _chunks(removed):
        SearchTerm.objects.filter(word__in=chunk, documents__gt=0).update(documents=F("documents") - 1)
        SearchTerm.objects.filter(word__in=chunk, documents=0).delete()
    for chunk in _chunks(added):
        existing = set(SearchTerm.objects.filter(word__in=chunk).values_list("word", flat=True))
        SearchTerm.objects.filter(word__in=existing).update(documents=F("documents") + 1)
        SearchTerm.objects.bulk_create(
            [SearchTerm(word=word, stem=stem(word), documents=1) for word in set(chunk) - existing],
            ignore_conflicts=True,
        )


@transaction.atomic
def search_document_refresh(*, kind: str, object_id: str) -> SearchDocument | None:
    """Rebuild one object's search document, or drop it if the object is no longer public."""
    search_type = registry.get_type(kind)
    if search_type is None:
        return None
    obj = search_type.get_queryset().prefetch_related(*search_type.prefetch).filter(pk=object_id).first()
    if obj is None:
        search_document_remove(kind=kind, object_id=str(object_id))
        return None
    values = _document_values(search_type, obj)
    document = SearchDocument.objects.select_for_update().filter(kind=kind, object_id=str(object_id)).first()
    before = document.vocabulary() if document else set()
    if document is None:
        document = SearchDocument(kind=kind, object_id=str(object_id))
    for name, value in values.items():
        setattr(document, name, value)
    document.save()
    after = document.vocabulary()
    _vocabulary_change(added=after - before, removed=before - after)
    search_generation_renew()
    return document


@transaction.atomic
def search_document_remove(*, kind: str, object_id: str) -> bool:
    document = SearchDocument.objects.select_for_update().filter(kind=kind, object_id=str(object_id)).first()
    if document is None:
        return False
    _vocabulary_change(added=set(), removed=document.vocabulary())
    document.delete()
    search_generation_renew()
    return True


def page_search_refresh(*, page_id: int, descendants: bool = False) -> int:
    """Bring the search backend and the search documents up to date for a page.

    Called after publish/unpublish (and for the whole subtree after a move or
    a slug change, since URLs change). Wagtail also re-indexes on save, but
    that runs before a page's child rows (aliases, requirements) are saved.
    """
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        return 0
    pages = page.get_descendants(inclusive=True).specific() if descendants else [page.specific]
    refreshed = 0
    for specific in pages:
        search_index.insert_or_update_object(specific)
        search_type = registry.type_for_model(type(specific))
        if search_type is not None:
            search_document_refresh(kind=search_type.name, object_id=str(specific.pk))
            refreshed += 1
    return refreshed


def object_search_refresh(*, model_label: str, object_id: str) -> SearchDocument | None:
    """A registered non-page object was saved: refresh (or drop) its document."""
    from django.apps import apps

    search_type = registry.type_for_model(apps.get_model(model_label))
    if search_type is None:
        return None
    return search_document_refresh(kind=search_type.name, object_id=object_id)


def object_search_sync(*, model_label: str, object_id: str) -> bool:
    """A registered object changed (run on commit): drop its document at once if it is no longer public.

    Hiding, removing, unpublishing or deleting must never wait for the task
    queue: the document (and its words in the vocabulary) go in this call.
    A still-public object is refreshed by a task as before. Returns whether
    a document was removed.
    """
    from django.apps import apps

    search_type = registry.type_for_model(apps.get_model(model_label))
    if search_type is None:
        return False
    if search_type.get_queryset().filter(pk=object_id).exists():
        from search.tasks import object_search_refresh_task

        object_search_refresh_task.enqueue(model_label=model_label, object_id=str(object_id))
        return False
    return search_document_remove(kind=search_type.name, object_id=str(object_id))


def page_search_sync(*, page_id: int, descendants: bool = False) -> int:
    """Drop at once the documents of a page (and its subtree) that are no longer public.

    Unpublishing, a view restriction (``PageViewRestriction``), a move under a
    restricted section or a deletion take the pages out of the types'
    querysets (``.live().public()``); their documents go here, before the
    refresh task rebuilds the rest. Returns the number of documents removed.
    """
    from django.db.models import CharField, Subquery
    from django.db.models.functions import Cast
    from wagtail.models import Page

    page = Page.objects.filter(pk=page_id).first()
    if page is None or not descendants:
        ids = Page.objects.filter(pk=page_id)
    else:
        ids = page.get_descendants(inclusive=True)
    ids = ids.annotate(_sid=Cast("pk", CharField())).values("_sid")
    removed = 0
    for search_type in registry.page_types():
        indexed = list(
            SearchDocument.objects.filter(kind=search_type.name, object_id__in=Subquery(ids)).values_list(
                "object_id", flat=True
            )
        )
        if not indexed:
            continue
        public = {str(pk) for pk in search_type.get_queryset().filter(pk__in=indexed).values_list("pk", flat=True)}
        for object_id in set(indexed) - public:
            removed += search_document_remove(kind=search_type.name, object_id=object_id)
    return removed


@transaction.atomic
def objects_search_remove(*, kinds: list[str], object_ids: list[str]) -> int:
    removed = 0
    for document in SearchDocument.objects.filter(kind__in=kinds, object_id__in=object_ids):
        removed += search_document_remove(kind=document.kind, object_id=document.object_id)
    return removed


@transaction.atomic
def search_documents_rebuild() -> int:
    """Rebuild every search document from content, then the vocabulary."""
    total = 0
    kinds = []
    for search_type in registry.get_types():
        kinds.append(search_type.name)
        existing = {d.object_id: d for d in SearchDocument.objects.filter(kind=search_type.name)}
        seen: set[str] = set()
        to_create, to_update = [], []
        queryset = search_type.get_queryset().prefetch_related(*search_type.prefetch)
        for obj in queryset.iterator(chunk_size=BATCH):
            object_id = str(obj.pk)
            seen.add(object_id)
            values = _document_values(search_type, obj)
            document = existing.get(object_id)
            if document is None:
                to_create.append(SearchDocument(kind=search_type.name, object_id=object_id, **values))
            else:
                for name, value in values.items():
                    setattr(document, name, value)
                to_update.append(document)
        SearchDocument.objects.bulk_create(to_create, batch_size=BATCH)
        SearchDocument.objects.bulk_update(to_update, fields=list(_DOCUMENT_FIELDS), batch_size=BATCH)
        for chunk in _chunks(set(existing) - seen):
            SearchDocument.objects.filter(kind=search_type.name, object_id__in=chunk).delete()
        total += len(seen)
    SearchDocument.objects.exclude(kind__in=kinds).delete()
    search_vocabulary_rebuild()
    return total


_DOCUMENT_FIELDS = ("language", "title", "url", "slug", "strong", "text", "title_words", "strong_words", "text_words")


@transaction.atomic
def search_vocabulary_rebuild() -> int:
    """Recount the vocabulary from every search document."""
    counts: Counter[str] = Counter()
    for document in SearchDocument.objects.only("title", "strong", "text").iterator(chunk_size=BATCH):
        counts.update(document.vocabulary())
    SearchTerm.objects.all().delete()
    SearchTerm.objects.bulk_create(
        [SearchTerm(word=word, stem=stem(word), documents=n) for word, n in counts.items()], batch_size=1000
    )
    search_generation_renew()
    return len(counts)


def page_visit_record(*, page_id: int) -> None:
    """Count one visit in the cache; every Nth visit is written to the database by a task.

    Cheap enough for every request, cached page hits included (one cache
    increment), and nothing of it enters the cached HTML.
    """
    key = VISITS_KEY.format(page_id=page_id)
    pending = cache_increment(key, timeout=None)
    every = max(1, settings.AYNI_SEARCH_VISIT_FLUSH_EVERY)
    if pending == every:  # exactly one request reaches the threshold
        try:
            cache.decr(key, every)
        except ValueError:
            pass
        from search.tasks import page_visits_add_task

        page_visits_add_task.enqueue(page_id=page_id, count=every)


@transaction.atomic
def page_visits_add(*, page_id: int, count: int) -> None:
    from wagtail.models import Page

    if count <= 0 or not Page.objects.filter(pk=page_id).exists():
        return
    updated = PageVisitCount.objects.filter(page_id=page_id).update(visits=F("visits") + count)
    if not updated:
        _, created = PageVisitCount.objects.get_or_create(page_id=page_id, defaults={"visits": count})
        if not created:
            PageVisitCount.objects.filter(page_id=page_id).update(visits=F("visits") + count)


def search_query_record(*, query: str, result_count: int) -> None:
    """Log a citizen's search in the cache: no database write on the request path.

    Each search takes the next slot of a log kept in the cache (one increment
    and one set). The request that fills a batch of
    ``AYNI_SEARCH_QUERY_FLUSH_EVERY`` slots hands the batch to the worker
    (``search_queries_add_task``), which writes the hits for Wagtail's
    search-terms report and the zero-result queries for editors; the periodic
    job ``search.query_log_flush`` (``search_query_log_flush``) writes what a
    shared cache (Redis) holds of a batch not yet full. As for visits, a
    per-process cache (the embedded default) loses the last partial batch
    when the process stops.
    """
    example = clean_text(query, max_length=QUERY_LOG_LENGTH)
    if not " ".join(words(example)):
        return
    slot = cache_increment(QUERY_LOG_NEXT_KEY, timeout=None)
    cache.set(QUERY_LOG_SLOT_KEY.format(slot=slot), (example, not result_count), timeout=QUERY_LOG_SECONDS)
    every = _query_flush_every()
    if slot % every == 0:  # exactly one request fills each batch
        entries = _query_log_take(range(slot - every + 1, slot + 1))
        if entries:
            from search.tasks import search_queries_add_task

            search_queries_add_task.enqueue(entries=entries)


def _query_flush_every() -> int:
    return max(1, getattr(settings, "AYNI_SEARCH_QUERY_FLUSH_EVERY", QUERY_FLUSH_EVERY))


def _query_log_take(slots: Iterable[int]) -> list[list]:
    """The entries of these slots (removed from the cache), as [example, zero_results] pairs."""
    keys = [QUERY_LOG_SLOT_KEY.format(slot=slot) for slot in slots]
    found = cache.get_many(keys)
    if found:
        cache.delete_many(list(found))
    return [[example, bool(zero)] for example, zero in (found[key] for key in keys if key in found)]


def search_query_log_flush() -> int:
    """Write the batch the cache's query log is filling now (the periodic job; useful with a shared cache).

    Moving the log's counter on by a whole batch skips the batch's last slot,
    so no request will hand it over: this call owns it. Returns the number of
    searches written.
    """
    current = cache.get(QUERY_LOG_NEXT_KEY)
    if not current:
        return 0
    every = _query_flush_every()
    try:
        moved = cache.incr(QUERY_LOG_NEXT_KEY, every)
    except ValueError:
        return 0
    before = moved - every
    if before % every == 0:  # that batch was complete: its last request handed it over
        return 0
    entries = _query_log_take(range(before - before % every + 1, before + 1))
    search_queries_add(entries=entries)
    return len(entries)


@transaction.atomic
def search_queries_add(*, entries: list[list]) -> None:
    """Count logged searches: hits for Wagtail's search-terms report, zero results for editors."""
    from wagtail.contrib.search_promotions.models import Query, QueryDailyHits

    hits: Counter[str] = Counter()
    zero: dict[str, list] = {}
    for example, zero_results in entries:
        example = clean_text(example, max_length=QUERY_LOG_LENGTH)
        normalized = " ".join(words(example))[:QUERY_LOG_LENGTH]
        if not normalized:
            continue
        hits[example] += 1
        if zero_results:
            entry = zero.setdefault(normalized, [example, 0])
            entry[0], entry[1] = example, entry[1] + 1
    today = timezone.now().date()
    for example, count in hits.items():
        query = Query.get(example)
        daily, _created = QueryDailyHits.objects.get_or_create(query=query, date=today)
        QueryDailyHits.objects.filter(pk=daily.pk).update(hits=F("hits") + count)
    now = timezone.now()
    for normalized, (example, count) in zero.items():
        updated = ZeroResultQuery.objects.filter(query=normalized).update(
            count=F("count") + count, example=example, last_seen=now
        )
        if not updated:
            entry, created = ZeroResultQuery.objects.get_or_create(
                query=normalized, defaults={"example": example, "count": count, "first_seen": now, "last_seen": now}
            )
            if not created:
                ZeroResultQuery.objects.filter(pk=entry.pk).update(
                    count=F("count") + count, example=example, last_seen=now
                )


def zero_result_mark_handled(*, key: str, user, guide=None, alias: str = ""):
    """Mark the group of zero-result searches ``key`` as handled by ``user`` (again, if it was)."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from search.models import ZeroResultHandled

    key = " ".join((key or "").split())
    if not key or len(key) > 255:
        raise ValidationError(_("Búsqueda no válida."))
    mark, _created = ZeroResultHandled.objects.update_or_create(
        key=key, defaults={"handled_by": user, "handled_at": timezone.now(), "guide": guide, "alias": alias}
    )
    return mark
