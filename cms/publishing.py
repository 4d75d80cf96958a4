"""The one place that ties Wagtail publishing to derived state.

Publishing, unpublishing or deleting a page, adding, changing or removing a
view restriction, and saving or deleting an office or a category, purge the
page cache. (The search app hooks its index here.)
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from cms.cache import purge_page_cache


def _content_changed(sender, **kwargs) -> None:
    purge_page_cache()


def _view_restriction_changed(sender, **kwargs) -> None:
    """A page became private (or public again): no cached copy of it or its subtree may be served.

    Purged now and again on commit, since a render racing the transaction may
    have stored the page in between.
    """
    purge_page_cache()
    transaction.on_commit(purge_page_cache, robust=True)


def _view_restriction_groups_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _view_restriction_changed(sender)


def connect() -> None:
    from wagtail.models import PageViewRestriction, get_page_models

    from cms.models import GuideCategory, Office

    page_published.connect(_content_changed, dispatch_uid="ayni-purge-published")
    # The admin's privacy modal saves or deletes a PageViewRestriction (groups after saving it).
    post_save.connect(_view_restriction_changed, sender=PageViewRestriction, dispatch_uid="ayni-purge-pvr-saved")
    post_delete.connect(_view_restriction_changed, sender=PageViewRestriction, dispatch_uid="ayni-purge-pvr-deleted")
    groups = PageViewRestriction.groups.through
    m2m_changed.connect(_view_restriction_groups_changed, sender=groups, dispatch_uid="ayni-purge-pvr-groups")
    page_unpublished.connect(_content_changed, dispatch_uid="ayni-purge-unpublished")
    for snippet in (Office, GuideCategory):
        post_save.connect(_content_changed, sender=snippet, dispatch_uid=f"ayni-purge-{snippet.__name__}-saved")
    for model in (*get_page_models(), Office, GuideCategory):
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"ayni-purge-{model.__name__}-deleted")


# --- Search (see search.registry) ----------------------------------------------
# Publishing, unpublishing, moving or deleting a page, and saving or deleting
# an object of a registered search type, refresh its search document, the
# vocabulary and the backend index through the task queue, once the
# transaction commits. ``search.apps`` calls ``connect_search()`` after every
# app has registered its search types.


# What stops being public (unpublished, restricted, hidden, deleted) leaves the
# search documents and the vocabulary at once, on commit, in the same process
# (``search.services.*_sync``); only rebuilding what is still public goes
# through the task queue.


_batched_pages: ContextVar[set[int] | None] = ContextVar("ayni_batched_search_pages", default=None)


@contextmanager
def search_updates_batched():
    """Within this block, a published page's search refresh is not queued one by one.

    For bulk writes (``cms.importers``): the pages are collected and, at the
    end of the block, each distinct parent's subtree is synced and refreshed
    by one task (on commit), instead of one task per page.
    """
    pages: set[int] = set()
    token = _batched_pages.set(pages)
    try:
        yield pages
    finally:
        _batched_pages.reset(token)
    if pages:
        from wagtail.models import Page

        parents = {page.get_parent().pk for page in Page.objects.filter(pk__in=pages)}
        for parent_id in sorted(parents):
            _page_sync_on_commit(parent_id, descendants=True)


def _page_sync_on_commit(page_id: int, *, descendants: bool = False) -> None:
    from search.services import page_search_sync
    from search.tasks import page_search_refresh_task

    def run() -> None:
        page_search_sync(page_id=page_id, descendants=descendants)
        if descendants:
            page_search_refresh_task.enqueue(page_id=page_id, descendants=True)
        else:
            page_search_refresh_task.enqueue(page_id=page_id)

    transaction.on_commit(run, robust=True)


def _search_page_changed(sender, instance, **kwargs) -> None:
    batch = _batched_pages.get()
    if batch is not None:
        batch.add(instance.pk)
        return
    _page_sync_on_commit(instance.pk)


def _search_page_tree_changed(sender, instance, **kwargs) -> None:
    # A move or a new slug changes the URLs of the page and everything below it
    # (and a move under a restricted section makes them private).
    _page_sync_on_commit(instance.pk, descendants=True)


def _search_object_saved(sender, instance, raw=False, **kwargs) -> None:
    from search.services import object_search_sync

    if not raw:
        label, object_id = sender._meta.label, str(instance.pk)
        transaction.on_commit(lambda: object_search_sync(model_label=label, object_id=object_id), robust=True)


def _search_object_deleted(sender, instance, **kwargs) -> None:
    from search import registry
    from search.services import objects_search_remove

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


def connect_search() -> None:
    from wagtail.models import PageViewRestriction
    from wagtail.signals import page_slug_changed, post_page_move

    from search import registry

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
