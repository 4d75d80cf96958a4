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
    for model in (*get_page_models(), Office, GuideCategory):
        if model in (Office, GuideCategory):
            post_save.connect(_content_changed, sender=model, dispatch_uid=f"ayni-purge-{model.__name__}-saved")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"ayni-purge-{model.__name__}-deleted")
