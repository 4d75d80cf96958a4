"""The one place that ties Wagtail publishing to derived state.

Publishing, unpublishing or deleting a page, and saving or deleting an office
or a category, purge the page cache. (The search app hooks its index here.)
"""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from cms.cache import purge_page_cache


def _content_changed(sender, **kwargs) -> None:
    purge_page_cache()


def connect() -> None:
    from wagtail.models import get_page_models

    from cms.models import GuideCategory, Office

    page_published.connect(_content_changed, dispatch_uid="ayni-purge-published")
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


def _search_page_changed(sender, instance, **kwargs) -> None:
    from search.tasks import enqueue_on_commit, page_search_refresh_task

    enqueue_on_commit(page_search_refresh_task, page_id=instance.pk)


def _search_page_tree_changed(sender, instance, **kwargs) -> None:
    from search.tasks import enqueue_on_commit, page_search_refresh_task

    # A move or a new slug changes the URLs of the page and everything below it.
    enqueue_on_commit(page_search_refresh_task, page_id=instance.pk, descendants=True)


def _search_object_saved(sender, instance, raw=False, **kwargs) -> None:
    from search.tasks import enqueue_on_commit, object_search_refresh_task

    if not raw:
        enqueue_on_commit(object_search_refresh_task, model_label=sender._meta.label, object_id=str(instance.pk))


def _search_object_deleted(sender, instance, **kwargs) -> None:
    from search import registry
    from search.tasks import enqueue_on_commit, objects_search_remove_task

    search_type = registry.type_for_model(sender)
    if search_type is not None:
        enqueue_on_commit(objects_search_remove_task, kinds=[search_type.name], object_ids=[str(instance.pk)])


def connect_search() -> None:
    from wagtail.signals import page_slug_changed, post_page_move

    from search import registry

    page_published.connect(_search_page_changed, dispatch_uid="ayni-search-published")
    page_unpublished.connect(_search_page_changed, dispatch_uid="ayni-search-unpublished")
    post_page_move.connect(_search_page_tree_changed, dispatch_uid="ayni-search-moved")
    page_slug_changed.connect(_search_page_tree_changed, dispatch_uid="ayni-search-slug")
    for search_type in registry.get_types():
        model = search_type.get_model()
        if not search_type.is_page:  # pages count when published, not on every draft save
            post_save.connect(_search_object_saved, sender=model, dispatch_uid=f"ayni-search-{model._meta.label}-saved")
        uid = f"ayni-search-{model._meta.label}-deleted"
        post_delete.connect(_search_object_deleted, sender=model, dispatch_uid=uid)
