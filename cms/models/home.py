from django.utils.translation import gettext_lazy as _

from .base import AyniBasePage


class HomePage(AyniBasePage):
    """Search box, guides by category, latest news, participation and open data."""

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.GuideIndexPage", "cms.RegulationIndexPage", "cms.TransparencyIndexPage", "cms.NewsIndexPage"]
    is_creatable = True

    class Meta:
        verbose_name = _("página de inicio")
        verbose_name_plural = _("páginas de inicio")

    def get_context(self, request, *args, **kwargs):
        from cms.selectors import home_sections

        context = super().get_context(request, *args, **kwargs)
        context.update(home_sections(home=self))
        return context
