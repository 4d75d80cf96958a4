import pytest
from django.core.management import call_command


@pytest.fixture(scope="session", autouse=True)
def search_index(django_db_setup, django_db_blocker):
    """Index the demo content once: backend index, search documents and vocabulary.

    Runs ``manage.py update_index`` (the search app's override of Wagtail's
    command), the same command the README documents.
    """
    with django_db_blocker.unblock():
        call_command("update_index", verbosity=0)


@pytest.fixture
def make_guide(db):
    """Create a draft guide under /tramites/ (publish it yourself)."""
    from cms.models import GuideAlias, GuideIndexPage, GuidePage, GuideRequirement, Office

    def make(*, slug: str, title: str, aliases=(), summary: str = "Trámite de prueba.") -> GuidePage:
        index = GuideIndexPage.objects.get(slug="tramites", locale__language_code="es")
        page = GuidePage(title=title, slug=slug, summary=summary, office=Office.objects.first(), live=False)
        page.alternative_names = [GuideAlias(name=name) for name in aliases]
        page.requirements = [GuideRequirement(text="Fotocopia de la cédula de identidad")]
        index.add_child(instance=page)
        return page

    return make
