"""The one place that ties Wagtail publishing to the page cache.

Publishing, unpublishing or deleting a page, adding, changing or removing a
view restriction, saving or deleting an office or a category, and saving the
portal's settings (or changing its logo's image), purge the page cache. Apps
above cms that keep state derived from pages (the search index) connect their
own receivers to Wagtail's signals and to the signals of ``cms.signals``
(search.signals); cms imports none of them.
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


def _site_settings_changed(sender, **kwargs) -> None:
    """Staff saved the portal's details: every page, fragment and bot answer reads them again.

    Again on commit, since a render racing the transaction may have cached the old values.
    """
    from cms.selectors import site_contact_forget

    def forget() -> None:
        site_contact_forget()
        purge_page_cache()

    forget()
    transaction.on_commit(forget, robust=True)


def _image_changed(sender, instance, **kwargs) -> None:
    """The logo's image was replaced or deleted (deleting it empties the setting without a save)."""
    from cms.selectors import site_contact

    if instance.pk is not None and instance.pk == site_contact().logo_id:
        _site_settings_changed(sender)


def _view_restriction_groups_changed(sender, action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _view_restriction_changed(sender)


def connect() -> None:
    from wagtail.images import get_image_model
    from wagtail.models import PageViewRestriction, get_page_models

    from cms.models import GuideCategory, Office, PortalSettings

    page_published.connect(_content_changed, dispatch_uid="ayni-purge-published")
    # The admin's privacy modal saves or deletes a PageViewRestriction (groups after saving it).
    post_save.connect(_view_restriction_changed, sender=PageViewRestriction, dispatch_uid="ayni-purge-pvr-saved")
    post_delete.connect(_view_restriction_changed, sender=PageViewRestriction, dispatch_uid="ayni-purge-pvr-deleted")
    groups = PageViewRestriction.groups.through
    m2m_changed.connect(_view_restriction_groups_changed, sender=groups, dispatch_uid="ayni-purge-pvr-groups")
    page_unpublished.connect(_content_changed, dispatch_uid="ayni-purge-unpublished")
    for snippet in (Office, GuideCategory):
        post_save.connect(_content_changed, sender=snippet, dispatch_uid=f"ayni-purge-{snippet.__name__}-saved")
    post_save.connect(_site_settings_changed, sender=PortalSettings, dispatch_uid="ayni-site-settings-saved")
    image = get_image_model()
    post_save.connect(_image_changed, sender=image, dispatch_uid="ayni-site-logo-saved")
    post_delete.connect(_image_changed, sender=image, dispatch_uid="ayni-site-logo-deleted")
    for model in (*get_page_models(), Office, GuideCategory):
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"ayni-purge-{model.__name__}-deleted")


# --- Bulk publishing -------------------------------------------------------------
# A bulk write (``cms.importers``) publishes many pages in one transaction. Within
# ``publishing_batched()`` receivers that would refresh derived state page by page
# add the page to ``batched_pages()`` instead; at the end of the block
# ``cms.signals.pages_published_in_bulk`` carries all of them at once.

_batched_pages: ContextVar[set[int] | None] = ContextVar("ayni_batched_pages", default=None)


def batched_pages() -> set[int] | None:
    """The pages published so far inside ``publishing_batched()``, or None outside it."""
    return _batched_pages.get()


@contextmanager
def publishing_batched():
    """Within this block, receivers collect published pages; one bulk signal at the end."""
    from cms.signals import pages_published_in_bulk

    pages: set[int] = set()
    token = _batched_pages.set(pages)
    try:
        yield pages
    finally:
        _batched_pages.reset(token)
    if pages:
        pages_published_in_bulk.send(sender=None, page_ids=frozenset(pages))
