"""Publish, unpublish, edit and delete are reflected in results, through the task queue."""

import pytest
from django_tasks import default_task_backend

from search import selectors
from search.models import SearchDocument, SearchTerm

pytestmark = pytest.mark.django_db

WORD = "quirquincho"  # a word no demo content has


def _slugs(query):
    return [hit.slug for hit in selectors.search(query=query).hits]


def test_publishing_enqueues_the_search_refresh(make_guide, settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    page = make_guide(slug="tramite-dummy", title=f"Permiso del {WORD}")
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    enqueued = {(r.task.name, tuple(sorted(r.kwargs.items()))) for r in default_task_backend.results}
    assert ("page_search_refresh_task", (("page_id", page.pk),)) in enqueued
    assert "insert_or_update_object_task" in {r.task.name for r in default_task_backend.results}  # Wagtail's own
    assert not SearchDocument.objects.filter(object_id=str(page.pk)).exists()  # nothing ran inline


def test_publish_then_unpublish(make_guide, django_capture_on_commit_callbacks):
    page = make_guide(slug="permiso-quirquincho", title=f"Permiso del {WORD}", aliases=["tatú andino"])
    assert "permiso-quirquincho" not in _slugs(WORD)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert _slugs(WORD)[0] == "permiso-quirquincho"
    assert _slugs("tatu andino")[0] == "permiso-quirquincho"  # aliases saved with the page are indexed
    assert _slugs("quirquinchos")[0] == "permiso-quirquincho"  # plural
    assert _slugs("kirquincho")[0] == "permiso-quirquincho"  # typo, against the refreshed vocabulary
    assert SearchTerm.objects.filter(word=WORD, documents=1).exists()
    page.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        page.unpublish()
    assert "permiso-quirquincho" not in _slugs(WORD)
    assert not SearchDocument.objects.filter(kind="guide", object_id=str(page.pk)).exists()
    assert not SearchTerm.objects.filter(word=WORD).exists()


def test_a_new_revision_replaces_the_old_text(make_guide, django_capture_on_commit_callbacks):
    page = make_guide(slug="permiso-quirquincho", title=f"Permiso del {WORD}")
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    page.title = "Permiso del armadillo"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    assert _slugs("armadillo")[0] == "permiso-quirquincho"
    assert "permiso-quirquincho" not in _slugs(WORD)


def test_deleted_pages_disappear(make_guide, django_capture_on_commit_callbacks):
    page = make_guide(slug="permiso-quirquincho", title=f"Permiso del {WORD}")
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    page_id = page.pk
    page.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        page.delete()
    assert "permiso-quirquincho" not in _slugs(WORD)
    assert not SearchDocument.objects.filter(object_id=str(page_id), kind="guide").exists()


def test_a_new_slug_updates_the_url_in_results(guide_page_factory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        page = guide_page_factory(slug="mascotas-inicial-prueba")
    assert SearchDocument.objects.get(kind="guide", object_id=str(page.pk)).url == "/tramites/mascotas-inicial-prueba/"
    with django_capture_on_commit_callbacks(execute=True):
        page.slug = "mascotas-de-prueba"
        page.save_revision().publish()
    document = SearchDocument.objects.get(kind="guide", object_id=str(page.pk))
    assert document.url == "/tramites/mascotas-de-prueba/"
