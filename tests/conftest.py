import pytest
from django.core.cache import cache
from pytest_factoryboy import LazyFixture, register

from tests.ayni.factories import StaffFactory, SuperuserFactory, UserFactory
from tests.chatbot.factories import ConversationFactory, WhatsAppMessageFactory
from tests.cms.factories import (
    GuideCategoryFactory,
    GuidePageFactory,
    NewsPageFactory,
    OfficeFactory,
    RegulationPageFactory,
)
from tests.opendata.factories import DatasetFactory, ResourceFactory, ResourceVersionFactory
from tests.participation.factories import (
    CaseWorkerFactory,
    CitizenFactory,
    CommentFactory,
    ComplaintFactory,
    DistrictFactory,
    ModeratorFactory,
    MunicipalUnitFactory,
    ProblemTypeFactory,
    ProfileFactory,
    ProposalCategoryFactory,
    ProposalFactory,
    SupportFactory,
    TransparencyOfficerFactory,
    VerifiedCitizenFactory,
)

# The factories as fixtures (pytest-factoryboy): ``guide_page`` is a published guide,
# ``guide_page_factory(title=...)`` makes more; a fixture of the same name in a
# folder's conftest.py or a test module takes precedence there.
register(UserFactory)
register(StaffFactory, "staff")
register(SuperuserFactory, "superuser")
register(CitizenFactory, "citizen")
register(VerifiedCitizenFactory, "verified_citizen")
register(ModeratorFactory, "moderator")
register(TransparencyOfficerFactory, "transparency_officer")
register(CaseWorkerFactory, "case_worker")
register(GuideCategoryFactory)
register(OfficeFactory)
register(GuidePageFactory)
register(RegulationPageFactory)
register(NewsPageFactory)
register(DistrictFactory)
register(MunicipalUnitFactory)
register(ProblemTypeFactory)
register(ProfileFactory)
register(ProposalCategoryFactory)
register(ProposalFactory, author=LazyFixture("verified_citizen"))
register(SupportFactory, user=LazyFixture("verified_citizen"))
register(CommentFactory, author=LazyFixture("verified_citizen"))
register(ComplaintFactory, user=LazyFixture("citizen"))
register(DatasetFactory)
register(ResourceFactory)
register(ResourceVersionFactory)
register(ConversationFactory)
register(WhatsAppMessageFactory)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo municipality is loaded once into the test database.

    Ordinary tests run inside a transaction and see it unchanged; transactional
    tests (which pytest-django runs last) must load what they need.
    """
    from cms.demo.loader import load_demo

    with django_db_blocker.unblock():
        load_demo()
        __import__("participation.demo.loader").demo.loader.load_demo()
        __import__("opendata.demo.loader", fromlist=["load_demo"]).load_demo()


@pytest.fixture(autouse=True)
def _spanish_by_default(settings):
    """Every test starts in the default language, whatever an earlier request activated."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def pytest_collection_modifyitems(config, items):
    """Slow tests that do not depend on the database backend run once per CI: in the
    embedded-defaults pass (no DATABASE_URL), not again in the PostgreSQL + Redis pass."""
    import os

    if not os.environ.get("DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="embedded_only: run in the embedded-defaults pass (no DATABASE_URL)")
    for item in items:
        if item.get_closest_marker("embedded_only"):
            item.add_marker(skip)
