import pytest
from django.urls import reverse

from cms.models import GuideFeedback

pytestmark = pytest.mark.django_db


@pytest.fixture
def guide(guide_page):
    return guide_page


def _post(client, guide, **data):
    return client.post(reverse("guide_feedback", args=[guide.pk]), data, REMOTE_ADDR="10.0.0.1")


def test_feedback_is_stored(client, guide):
    response = _post(client, guide, helpful="no", comment="  Falta el horario del sábado. ")
    assert response.status_code == 302
    assert response["Location"] == f"/tramites/{guide.slug}/?opinion=gracias#opinion"
    feedback = GuideFeedback.objects.get()
    assert feedback.page == guide and feedback.helpful is False
    assert feedback.comment == "Falta el horario del sábado."
    assert "Gracias" in client.get(response["Location"]).content.decode()


def test_empty_feedback_is_rejected_with_a_clear_message(client, guide):
    response = _post(client, guide)
    assert response.status_code == 400
    assert "Elige «Sí» o «No»." in response.content.decode()
    assert not GuideFeedback.objects.exists()


def test_oversized_comment_is_rejected(client, guide):
    response = _post(client, guide, helpful="si", comment="x" * 1001)
    assert response.status_code == 400
    assert "no puede superar los 1000 caracteres" in response.content.decode()
    assert not GuideFeedback.objects.exists()


def test_feedback_is_rate_limited_per_client(client, guide, settings):
    settings.AYNI_FEEDBACK_RATE = 3
    for _ in range(3):
        assert _post(client, guide, helpful="si").status_code == 302
    response = _post(client, guide, helpful="si")
    assert response.status_code == 429
    assert "demasiadas opiniones" in response.content.decode()
    assert GuideFeedback.objects.count() == 3
    # Another client is not affected.
    other = client.post(reverse("guide_feedback", args=[guide.pk]), {"helpful": "si"}, REMOTE_ADDR="10.0.0.2")
    assert other.status_code == 302


def test_feedback_needs_post_and_a_live_guide(client, guide):
    assert client.get(reverse("guide_feedback", args=[guide.pk])).status_code == 405
    assert client.post(reverse("guide_feedback", args=[999999]), {"helpful": "si"}).status_code == 404


def test_editors_see_feedback_in_the_admin(client, admin_user, guide):
    GuideFeedback.objects.create(page=guide, helpful=False, comment="No entendí el paso 2")
    client.force_login(admin_user)
    response = client.get("/admin/guide_feedback/")
    assert response.status_code == 200
    assert "No entendí el paso 2" in response.content.decode()


def test_an_english_guide_answers_its_feedback_errors_in_english(client, guide):
    from tests.cms.factories import english

    translated = english(guide)
    response = _post(client, translated, comment="")
    assert response.status_code == 400
    assert response["Content-Language"] == "en"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Elige «Sí» o «No»." not in html  # the error and the page around it are in English
    assert 'href="/en/' in html  # the header keeps the visitor in English
    assert not GuideFeedback.objects.exists()
