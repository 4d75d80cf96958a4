"""Proposals: creation, supports, threshold, answers, comments, moderation, follows."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from participation import services
from participation.models import Comment, Notification, Proposal, Support

from .conftest import exe_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _form(the_category, **extra):
    data = {
        "title": "Bancas nuevas en la plaza",
        "body": "Instalar veinte bancas de madera en la plaza del barrio para las personas mayores.",
        "category": the_category.pk,
        "tags": "plazas, adultos mayores",
    }
    data.update(extra)
    return data


def test_verified_users_propose_and_text_is_sanitized(client, make_user, category, upload):
    author = make_user()
    client.force_login(author)
    response = client.post(
        "/participa/propuestas/nueva/",
        _form(
            category,
            title="Bancas <script>alert(1)</script>nuevas",
            body="<b>Veinte</b> bancas & sombra <img src=x onerror=alert(1)> para todos",
            image=upload("plaza.png", png_bytes()),
        ),
    )
    assert response.status_code == 302
    proposal = Proposal.objects.get(author=author)
    assert proposal.title == "Bancas nuevas"
    assert proposal.body == "Veinte bancas & sombra  para todos"
    assert sorted(t.name for t in proposal.tags.all()) == ["adultos mayores", "plazas"]
    assert proposal.image.name.endswith(".png") and proposal.follows.filter(user=author).exists()
    page = client.get(response["Location"]).content.decode()
    assert "Veinte bancas &amp; sombra" in page and "<script>alert" not in page


def test_unverified_and_anonymous_users_cannot_propose(client, make_user, category):
    before = Proposal.objects.count()
    assert client.get("/participa/propuestas/nueva/").status_code == 302
    client.force_login(make_user(verified=False))
    response = client.post("/participa/propuestas/nueva/", _form(category))
    assert response.status_code == 403 and "Confirma tu correo" in response.content.decode()
    assert Proposal.objects.count() == before


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"title": "x" * 151}, "No puede superar los 150 caracteres"),
        ({"title": "<i></i>"}, "obligatorio"),
        ({"body": "corta"}, "obligatorio"),
        ({"category": 99999}, "Elige una categoría"),
        ({"tags": "a,b,c,d,e,f"}, "como máximo 5 etiquetas"),
    ],
)
def test_bad_proposals_are_refused_clearly(client, make_user, category, extra, message, upload):
    client.force_login(make_user())
    before = Proposal.objects.count()
    response = client.post("/participa/propuestas/nueva/", _form(category, **extra))
    assert response.status_code == 400 and message in response.content.decode()
    assert Proposal.objects.count() == before


def test_disguised_image_is_refused(client, make_user, category, upload):
    client.force_login(make_user())
    before = Proposal.objects.count()
    response = client.post("/participa/propuestas/nueva/", _form(category, image=upload("foto.png", exe_bytes())))
    assert response.status_code == 400 and "no es de un tipo permitido" in response.content.decode()
    assert Proposal.objects.count() == before


def test_author_edits_until_the_first_support(client, make_user, make_proposal, category):
    author = make_user()
    proposal = make_proposal(author=author)
    client.force_login(author)
    url = reverse("participation:proposal_edit", args=[proposal.pk])
    assert client.post(url, _form(category, title="Título corregido")).status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Título corregido"
    services.proposal_support(proposal=proposal, user=make_user())
    response = client.post(url, _form(category, title="Otro título"))
    assert response.status_code == 403
    proposal.refresh_from_db()
    assert proposal.title == "Título corregido"
    client.force_login(make_user())
    assert client.get(url).status_code == 403


def test_one_support_per_user_withdrawable(client, make_user, make_proposal):
    proposal = make_proposal()
    supporter = make_user()
    client.force_login(supporter)
    url = reverse("participation:proposal_support", args=[proposal.pk])
    for _ in range(3):
        assert client.post(url).status_code == 302
    proposal.refresh_from_db()
    assert proposal.support_count == 1 and Support.objects.filter(proposal=proposal).count() == 1
    assert "Retirar mi apoyo" in client.get(proposal.get_absolute_url()).content.decode()
    client.post(url, {"accion": "retirar"})
    client.post(url, {"accion": "retirar"})
    proposal.refresh_from_db()
    assert proposal.support_count == 0 and not Support.objects.filter(proposal=proposal).exists()


def test_unverified_users_cannot_support(make_user, make_proposal):
    proposal = make_proposal()
    with pytest.raises(PermissionDenied):
        services.proposal_support(proposal=proposal, user=make_user(verified=False))
    assert proposal.supports.count() == 0


def test_the_database_allows_one_support_per_user(make_user, make_proposal):
    from django.db import IntegrityError, transaction

    proposal, user = make_proposal(), make_user()
    Support.objects.create(proposal=proposal, user=user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(proposal=proposal, user=user)


def test_threshold_moves_the_proposal_to_reached(settings, make_user, make_proposal):
    settings.AYNI_PROPOSAL_SUPPORT_THRESHOLD = 3
    proposal = make_proposal()
    for n in range(3):
        count, created = services.proposal_support(proposal=proposal, user=make_user())
        assert created and count == n + 1
        proposal.refresh_from_db()
        assert proposal.status == ("threshold_reached" if n == 2 else "published")


def test_supports_are_rate_limited(client, settings, make_user, make_proposal):
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, "support": (2, 600)}
    proposals = [make_proposal() for _ in range(3)]
    client.force_login(make_user())
    codes = [
        client.post(reverse("participation:proposal_support", args=[p.pk]), REMOTE_ADDR="10.7.7.7").status_code
        for p in proposals
    ]
    assert codes == [302, 302, 429]
    assert Support.objects.filter(proposal__in=proposals).count() == 2


def test_list_filters_and_sorting(client, make_proposal, make_user, district):
    from participation.models import ProposalCategory

    culture = ProposalCategory.objects.get(slug="cultura-deporte")
    make_proposal(title="Alfa propuesta de prueba", district=district)
    b = make_proposal(title="Beta propuesta de prueba", category=culture)
    b.tags.set(["teatro"])
    for _ in range(2):
        services.proposal_support(proposal=b, user=make_user())
    page = client.get("/participa/propuestas/", {"orden": "apoyos"}).content.decode()
    assert page.index("Beta propuesta") < page.index("Alfa propuesta")
    recent = client.get("/participa/propuestas/").content.decode()
    assert recent.index("Beta propuesta") < recent.index("Alfa propuesta")
    by_category = client.get("/participa/propuestas/", {"categoria": "cultura-deporte"}).content.decode()
    assert "Beta propuesta" in by_category and "Alfa propuesta" not in by_category
    by_district = client.get("/participa/propuestas/", {"distrito": district.slug}).content.decode()
    assert "Alfa propuesta" in by_district and "Beta propuesta" not in by_district
    assert "Alfa propuesta" not in client.get("/participa/propuestas/", {"etiqueta": "teatro"}).content.decode()
    assert "Alfa propuesta" not in client.get("/participa/propuestas/", {"estado": "accepted"}).content.decode()
    assert client.get("/participa/propuestas/", {"pagina": "999", "orden": "<x>"}).status_code == 200
    api = client.get("/api/proposals/", {"category": "cultura-deporte", "limit": 50}).json()
    assert [item["title"] for item in api["items"]] == [
        "Beta propuesta de prueba",
        *[i["title"] for i in api["items"][1:]],
    ]
    detail = client.get(f"/api/proposals/{b.pk}/").json()
    assert detail["support_count"] == 2 and detail["tags"] == ["teatro"] and "@" not in str(detail)
    assert client.get("/api/proposals/999999/").status_code == 404


def test_comments_are_one_level_sanitized_and_rate_limited(client, settings, make_user, make_proposal):
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, "comment": (2, 600)}
    proposal = make_proposal()
    client.force_login(make_user())
    url = reverse("participation:comment_create", args=[proposal.pk])
    assert client.post(url, {"body": "Muy bien <script>x()</script>pensado"}).status_code == 302
    assert Comment.objects.get(proposal=proposal).body == "Muy bien pensado"
    response = client.post(url, {"body": "z" * 2001})
    assert response.status_code == 400 and "No puede superar los 2000 caracteres" in response.content.decode()
    assert client.post(url, {"body": "Otro comentario"}).status_code == 302
    assert client.post(url, {"body": "Uno más"}).status_code == 429
    assert proposal.comments.count() == 2


def test_three_reports_hide_content_until_a_moderator_decides(client, make_user, make_proposal, moderator):
    proposal = make_proposal()
    comment = Comment.objects.create(proposal=proposal, author=make_user(), body="Comentario ofensivo")
    reporters = [make_user() for _ in range(3)]
    for reporter in reporters[:2]:
        assert services.content_report(user=reporter, comment=comment, reason="ofensivo", client="")
    assert not services.content_report(user=reporters[0], comment=comment, client="")  # once per user
    comment.refresh_from_db()
    assert comment.moderation == "visible"
    client.force_login(reporters[2])
    response = client.post(reverse("participation:comment_report", args=[proposal.pk, comment.pk]), {"reason": "spam"})
    assert response.status_code == 200
    comment.refresh_from_db()
    assert comment.moderation == "hidden"
    assert "Comentario ofensivo" not in client.get(proposal.get_absolute_url()).content.decode()
    # The moderator sees it in the queue and restores it.
    client.force_login(moderator)
    assert "Comentario ofensivo" in client.get(reverse("participation_admin:moderation")).content.decode()
    url = reverse("participation_admin:moderation_decide", args=["comentario", comment.pk])
    response = client.post(url, {"decision": "mantener"})  # restoring needs a reason
    assert response.status_code == 400 and "Indica por qué restableces" in response.content.decode()
    comment.refresh_from_db()
    assert comment.moderation == "hidden"
    assert client.post(url, {"decision": "mantener", "reason": "Crítica legítima"}).status_code == 302
    comment.refresh_from_db()
    assert comment.moderation == "visible" and not comment.reports.filter(resolved_at__isnull=True).exists()
    # A hidden proposal disappears from the list, the page and the API.
    for reporter in reporters:
        services.content_report(user=reporter, proposal=proposal, client="")
    client.logout()
    assert client.get(proposal.get_absolute_url()).status_code == 404
    assert client.get(f"/api/proposals/{proposal.pk}/").status_code == 404
    services.moderation_decide(moderator=moderator, proposal=proposal, keep=False)
    proposal.refresh_from_db()
    assert proposal.moderation == "removed"
    with pytest.raises(PermissionDenied):
        services.moderation_decide(moderator=reporters[0], proposal=proposal, keep=True)


def test_followers_are_notified_in_site_and_by_email(
    client, make_user, make_proposal, moderator, django_capture_on_commit_callbacks
):
    author = make_user()
    proposal = make_proposal(author=author)
    services.proposal_follow(proposal=proposal, user=author)
    follower, unverified = make_user(), make_user(verified=False)
    client.force_login(follower)
    client.post(reverse("participation:proposal_follow", args=[proposal.pk]))
    services.proposal_follow(proposal=proposal, user=unverified)
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("participation_admin:proposal_answer", args=[proposal.pk]),
            {"status": "rejected", "answer": "No hay presupuesto este año.", "reason": "Falta de presupuesto"},
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "rejected" and proposal.status_reason == "Falta de presupuesto"
    # In-site for all three followers; e-mail only to verified addresses.
    assert set(Notification.objects.filter(event="proposal_answer").values_list("user_id", flat=True)) == {
        author.pk,
        follower.pk,
        unverified.pk,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted([author.email, follower.email])
    assert "No hay presupuesto este año." in mail.outbox[0].body
    client.force_login(follower)
    page = client.get("/participa/notificaciones/").content.decode()
    assert "Novedades en la propuesta" in page
    client.post("/participa/notificaciones/leidas/")
    assert not Notification.objects.filter(user=follower, read_at__isnull=True).exists()
    detail = client.get(proposal.get_absolute_url()).content.decode()
    assert "No hay presupuesto este año." in detail and "Falta de presupuesto" in detail


def test_rejection_needs_a_reason_and_only_moderators_answer(make_user, make_proposal, moderator):
    from django.core.exceptions import ValidationError

    proposal = make_proposal()
    with pytest.raises(ValidationError):
        services.proposal_answer(proposal=proposal, user=moderator, status="rejected")
    with pytest.raises(PermissionDenied):
        services.proposal_answer(proposal=proposal, user=make_user(), status="accepted")
