from django.core.paginator import Paginator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.search import index

from ayni.validators import validate_rich_text_links

from .base import AyniBasePage


class NewsIndexPage(AyniBasePage):
    """Comunicados, newest first."""

    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.NewsPage"]
    max_count_per_parent = 1
    is_creatable = True
    per_page = 10

    class Meta:
        verbose_name = _("índice de noticias")
        verbose_name_plural = _("índices de noticias")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import news_list

        context = super().get_context(request, *args, **kwargs)
        context["news"] = Paginator(news_list(parent=self), self.per_page).get_page(request.GET.get("pagina"))
        return context


class NewsPage(AyniBasePage):
    date = models.DateField(_("fecha"), default=timezone.localdate)
    body = RichTextField(
        _("cuerpo"),
        features=["h2", "h3", "bold", "italic", "link", "ol", "ul", "document-link"],
        validators=[validate_rich_text_links],
    )

    parent_page_types = ["cms.NewsIndexPage"]
    subpage_types: list = []
    is_creatable = True
    cache_rendered_html = True

    content_panels = AyniBasePage.content_panels + [FieldPanel("date"), FieldPanel("body")]
    search_fields = AyniBasePage.search_fields + [
        index.SearchField("title", boost=2),
        index.AutocompleteField("title"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]

    class Meta:
        verbose_name = _("noticia")
        verbose_name_plural = _("noticias")
