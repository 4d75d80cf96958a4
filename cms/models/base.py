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

    def route(self, request, path_components):
        """Wagtail's routing, reading each child with what its template shows.

        An index page whose children are all of one type reads the child in one
        query with its relations and prefetches (``cms.selectors.page_child_for_serving``);
        other pages in two, as Wagtail does. Anything unusual (a child of another
        type, a missing slug) goes through Wagtail's own routing.
        """
        if not path_components:
            # The page this request serves: its view restrictions are read once (see below).
            self._ayni_routed = True
            return super().route(request, path_components)
        child_models = self.allowed_subpage_models()
        if not child_models:  # a leaf: Wagtail answers 404 for what lies below it
            return super().route(request, path_components)
        from cms.selectors import page_child_for_serving

        model = child_models[0] if len(child_models) == 1 else None
        child = page_child_for_serving(parent=self, slug=path_components[0], model=model)
        if child is None:
            return super().route(request, path_components)
        child._cached_parent_obj = self  # its breadcrumb link needs no query (as in Wagtail's route)
        return child.route(request, path_components[1:])

    def get_view_restrictions(self):
        # Serving a page asks twice (Wagtail's check_view_restrictions hook, then the page
        # cache in ``serve_cached``): the page routed for this request keeps the first answer,
        # a queryset that the hook has already evaluated. Any other instance asks the database.
        memo = self.__dict__.get("_ayni_view_restrictions")
        if memo is None:
            memo = super().get_view_restrictions()
            if self.__dict__.get("_ayni_routed"):
                self._ayni_view_restrictions = memo
        return memo

    def serve(self, request, *args, **kwargs):
        if self.cache_rendered_html:
            return serve_cached(self, request, lambda: super(AyniBasePage, self).serve(request, *args, **kwargs))
        return super().serve(request, *args, **kwargs)
