import pytest
from django.db import connection

from search import registry, selectors
from search.registry import SearchDocumentData, SearchType

pytestmark = pytest.mark.django_db


def test_cms_types_are_registered_in_display_order():
    names = [t.name for t in registry.get_types()]
    assert names[:4] == ["guide", "regulation", "transparency", "news"]
    assert set(registry.KNOWN_TYPES) <= set(registry.type_names())


def test_a_type_whose_app_is_missing_is_skipped():
    missing = SearchType(
        name="proposal_test",
        label="x",
        model="participation_missing.Proposal",
        queryset=lambda: None,
        document=lambda obj: None,
    )
    registry.register(missing)
    assert registry.get_type("proposal_test") is None


def test_a_new_type_is_a_one_place_change(monkeypatch):
    """Registering an indexed model makes it searchable, faceted and suggested."""
    from wagtail.documents.models import Document

    from search.services import search_documents_rebuild

    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    registry.register(
        SearchType(
            name="document",
            label="Documentos",
            model="wagtaildocs.Document",
            queryset=lambda: Document.objects.all(),
            document=lambda doc: SearchDocumentData(title=doc.title, url=doc.url, slug=str(doc.pk)),
        )
    )
    search_documents_rebuild()
    outcome = selectors.search(query="auditoria confiabilidad", type_name="document")
    assert outcome.hits and outcome.hits[0].type == "document"
    assert any(f.type == "document" and f.count for f in outcome.facets)
    assert any(s["type"] == "document" for s in selectors.suggest(prefix="auditoria conf"))


def test_saving_and_deleting_a_registered_object_updates_results(monkeypatch, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    from search import signals

    monkeypatch.setattr(registry, "_registry", dict(registry._registry))
    registry.register(
        SearchType(
            name="document",
            label="Documentos",
            model="wagtaildocs.Document",
            queryset=lambda: Document.objects.all(),
            document=lambda doc: SearchDocumentData(title=doc.title, url=doc.url, slug=str(doc.pk)),
        )
    )
    signals.connect()  # what search.apps does at start-up, after autodiscovery
    with django_capture_on_commit_callbacks(execute=True):
        document = Document.objects.create(title="Acta de fumigación", file=ContentFile(b"x", name="acta.txt"))
    assert [h.title for h in selectors.search(query="fumigacion").hits] == ["Acta de fumigación"]
    with django_capture_on_commit_callbacks(execute=True):
        document.delete()
    assert selectors.search(query="fumigacion").hits == []


def test_the_registry_docstring_tells_apps_how_to_register():
    doc = registry.__doc__
    for needle in ("search_types.py", "register(", 'name="proposal"', 'name="dataset"', "index.FilterField"):
        assert needle in doc


def test_the_postgres_migration_matches_the_database():
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_tsvector('ayni_spanish', 'Construcción de las licencias')::text")
            assert cursor.fetchone()[0] == "'construccion':1 'licenci':4"
            cursor.execute("SELECT 1 FROM pg_indexes WHERE indexname = 'portal_search_term_word_trgm'")
            assert cursor.fetchone() == (1,)
        from django.conf import settings

        assert settings.WAGTAILSEARCH_BACKENDS["default"]["SEARCH_CONFIG"] == "ayni_spanish"
    else:
        import importlib

        migration = importlib.import_module("search.migrations.0002_postgres_spanish")
        executed = []

        class Editor:
            connection = connection

            def execute(self, sql):
                executed.append(sql)

        migration._run(migration.FORWARD)(None, Editor())
        assert executed == []  # a no-op outside PostgreSQL
