"""Issue 13, item 4: zero-result searches grouped, turned into guide aliases or marked handled."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from search import selectors
from search.models import ZeroResultHandled, ZeroResultQuery
from search.selectors import similar_key

pytestmark = pytest.mark.django_db

REPORT = "/admin/busquedas-sin-resultados/"
WORD = "quirquinchería"  # no demo content has it


def searched(example, *, count=1, days_ago=0):
    when = timezone.now() - timedelta(days=days_ago)
    query = " ".join(example.lower().split())
    return ZeroResultQuery.objects.create(query=query, example=example, count=count, first_seen=when, last_seen=when)


def _group(text, **kwargs):
    return next((g for g in selectors.zero_result_groups(**kwargs) if g["key"] == similar_key(text)), None)


def test_similar_searches_are_one_group():
    searched(f"Requisitos {WORD}", count=3, days_ago=2)
    searched(f"{WORD}s", count=2, days_ago=1)
    searched("tatú azul")
    searched(WORD, count=5, days_ago=45)
    group = _group(WORD)
    assert group["times"] == 5 and group["variants"] == 2 and group["text"] == f"{WORD}s"
    assert _group(WORD, days=90)["times"] == 10
    assert _group("tatu azul")["times"] == 1


def test_the_report_by_role(client, staff_factory, verified_citizen, superuser):
    searched("tatú azul", count=2)
    key = similar_key("tatú azul")
    handled_url = reverse("search_zero_results_handled")
    alias_url = reverse("search_zero_results_alias") + f"?clave={key}"
    for user in (verified_citizen, staff_factory(), staff_factory(permissions=["chatbot.view_chatexchange"])):
        client.force_login(user)
        assert client.get(REPORT).status_code in (302, 403)
        assert client.get(REPORT, {"export": "csv"}).status_code in (302, 403)
        assert client.get(alias_url).status_code in (302, 403)
        assert client.post(handled_url, {"clave": key}).status_code in (302, 403)
    assert not ZeroResultHandled.objects.exists()

    reader = staff_factory(permissions=["portal_search.view_zeroresultquery"])
    client.force_login(reader)
    page = client.get(REPORT).content.decode()
    assert "tatú azul" in page and "Marcar como atendida" in page
    assert "tatú azul" in client.get(REPORT, {"export": "csv"}).getvalue().decode()
    assert client.post(handled_url, {"clave": key, "next": REPORT + "?dias=7"})["Location"] == REPORT + "?dias=7"
    assert ZeroResultHandled.objects.get(key=key).handled_by == reader
    client.get(REPORT)  # shows the confirmation once
    assert "tatú azul" not in client.get(REPORT).content.decode()
    assert "tatú azul" in client.get(REPORT, {"estado": "handled"}).content.decode()
    searched("Tatu azul")  # searched again since: pending again
    assert "Tatu azul" in client.get(REPORT).content.decode()

    client.force_login(superuser)  # the report is in the Reports menu
    assert REPORT in client.get("/admin/").content.decode()


def test_an_alias_from_the_report_makes_the_search_find_the_guide(
    client, superuser, guide_page_factory, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # indexed, as after a real publish
        guide = guide_page_factory(title="Permiso de venta en ferias", slug="permiso-de-venta-en-ferias")
    searched(f"{WORD} de barrio", count=4)
    assert guide.slug not in [hit.slug for hit in selectors.search(query=WORD).hits]
    key = similar_key(f"{WORD} de barrio")
    client.force_login(superuser)
    form = client.get(reverse("search_zero_results_alias"), {"clave": key}).content.decode()
    assert WORD in form
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("search_zero_results_alias"), {"clave": key, "guide": guide.pk, "name": WORD}, follow=True
        )
    assert "el asistente y el buscador ya lo usan" in response.content.decode()
    assert selectors.search(query=WORD).hits[0].slug == guide.slug
    mark = ZeroResultHandled.objects.get(key=key)
    assert mark.guide_id == guide.pk and mark.alias == WORD
    assert f"{WORD} de barrio" not in client.get(REPORT).content.decode()
