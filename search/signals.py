"""How the search index follows content (see search.registry).

Publishing, unpublishing, moving or deleting a page, and saving or deleting an
object of a registered search type, refresh its search document, the
vocabulary and the backend index through the task queue, once the transaction
commits. Visits to pages (``cms.signals.page_viewed``) are counted for the
ranking. cms sends the signals; this module, connected by ``search.apps``,
listens (cms imports nothing of search: docs/DESIGN.md, "Layers").
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import PageViewRestriction
from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

from cms import publishing
from cms.signals import page_viewed, pages_published_in_bulk
from search import registry
from search.services import object_search_sync, objects_search_remove, page_search_sync, page_visit_record

# What stops being public (unpublished, restricted, hidden, deleted) leaves the
# search documents and the vocabulary at once, on commit, in the same process
# (``search.services.*_sync``); only rebuilding what is still public goes
# through the task queue.


def _pages_published_in_bulk(sender, page_ids, **kwargs) -> None:
    """A bulk write (``cms.publishing.publishing_batched``): each distinct parent's subtree
    is synced and refreshed by one task (on commit), instead of one task per page."""
    from wagtail.models import Page

    parents = {page.get_parent().pk for page in Page.objects.filter(pk__in=page_ids)}
    for parent_id in sorted(parents):
        _page_sync_on_commit(parent_id, descendants=True)


def _page_viewed(sender, page_id: int, **kwargs) -> None:
    page_visit_record(page_id=page_id)


def _page_sync_on_commit(page_id: int, *, descendants: bool = False) -> None:
    from search.tasks import page_search_refresh_task

    def run() -> None:
        page_search_sync(page_id=page_id, descendants=descendants)
        if descendants:
            page_search_refresh_task.enqueue(page_id=page_id, descendants=True)
        else:
            page_search_refresh_task.enqueue(page_id=page_id)

    transaction.on_commit(run, robust=True)


def _search_page_changed(sender, instance, **kwargs) -> None:
    batch = publishing.batched_pages()
    if batch is not None:
        batch.add(instance.pk)
        return
    _page_sync_on_commit(instance.pk)


def _search_page_tree_changed(sender, instance, **kwargs) -> None:
    # A move or a new slug changes the URLs of the page and everything below it
    # (and a move under a restricted section makes them private).
    _page_sync_on_commit(instance.pk, descendants=True)


def _search_object_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        label, object_id = sender._meta.label, str(instance.pk)
        transaction.on_commit(lambda: object_search_sync(model_label=label, object_id=object_id), robust=True)


def _search_object_deleted(sender, instance, **kwargs) -> None:
    search_type = registry.type_for_model(sender)
    if search_type is not None:
        kinds, object_ids = [search_type.name], [str(instance.pk)]
        transaction.on_commit(lambda: objects_search_remove(kinds=kinds, object_ids=object_ids), robust=True)


# --- View restrictions -----------------------------------------------------------
# A restriction added to, changed on or removed from a page (the admin's privacy
# modal saves or deletes a ``PageViewRestriction``) changes who may see the page
# and its whole subtree: purge the page cache and resync their search documents.


def _search_restriction_changed(sender, instance, **kwargs) -> None:
    if instance.page_id:
        _page_sync_on_commit(instance.page_id, descendants=True)


def _search_restriction_groups_changed(sender, instance, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _search_restriction_changed(sender, instance)


def _promotions_changed(sender, **kwargs) -> None:
    from search.selectors import promoted_queries_forget

    transaction.on_commit(promoted_queries_forget, robust=True)
    promoted_queries_forget()  # and now, for this transaction's own reads


def connect() -> None:
    """Called by ``search.apps`` at start-up, after every app registered its search types."""
    from wagtail.contrib.search_promotions.models import SearchPromotion

    # The admin saves or deletes each pick (also when the set moves to another query string).
    post_save.connect(_promotions_changed, sender=SearchPromotion, dispatch_uid="ayni-search-promotion-saved")
    post_delete.connect(_promotions_changed, sender=SearchPromotion, dispatch_uid="ayni-search-promotion-deleted")
    page_viewed.connect(_page_viewed, dispatch_uid="ayni-search-page-viewed")
    pages_published_in_bulk.connect(_pages_published_in_bulk, dispatch_uid="ayni-search-bulk-published")
    page_published.connect(_search_page_changed, dispatch_uid="ayni-search-published")
    post_save.connect(_search_restriction_changed, sender=PageViewRestriction, dispatch_uid="ayni-search-pvr-saved")
    post_delete.connect(_search_restriction_changed, sender=PageViewRestriction, dispatch_uid="ayni-search-pvr-deleted")
    m2m_changed.connect(
        _search_restriction_groups_changed,
        sender=PageViewRestriction.groups.through,
        dispatch_uid="ayni-search-pvr-groups",
    )
    page_unpublished.connect(_search_page_changed, dispatch_uid="ayni-search-unpublished")
    post_page_move.connect(_search_page_tree_changed, dispatch_uid="ayni-search-moved")
    page_slug_changed.connect(_search_page_tree_changed, dispatch_uid="ayni-search-slug")
    for search_type in registry.get_types():
        model = search_type.get_model()
        if not search_type.is_page:  # pages count when published, not on every draft save
            post_save.connect(_search_object_saved, sender=model, dispatch_uid=f"ayni-search-{model._meta.label}-saved")
        uid = f"ayni-search-{model._meta.label}-deleted"
        post_delete.connect(_search_object_deleted, sender=model, dispatch_uid=uid)
