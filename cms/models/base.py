from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.api import APIField
from wagtail.models import Page
from wagtail.search import index

from cms.cache import serve_cached


class AyniBasePage(Page):
    """Fields and behaviour shared by every page of the portal."""

    summary = models.TextField(_("resumen"), blank=True, max_length=600)

    content_panels = Page.content_panels + [FieldPanel("summary")]
    search_fields = Page.search_fields + [index.SearchField("summary")]
    api_fields = [APIField("summary")]

    # Pages whose HTML is the same for every anonymous visitor may be cached.
    cache_rendered_html = False
    is_creatable = False

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        if self.cache_rendered_html:
            return serve_cached(self, request, lambda: super(AyniBasePage, self).serve(request, *args, **kwargs))
        return super().serve(request, *args, **kwargs)
