"""Problem types (plain words → unit), the channel and the point of a complaint, as staff see them."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from participation import selectors, services
from participation.models import Complaint, MunicipalUnit, ProblemType

pytestmark = pytest.mark.django_db

DESCRIPTION = "Hay un hueco enorme en la calle que ya causó dos accidentes."


def _type(slug: str) -> ProblemType:
    return ProblemType.objects.get(slug=slug)


def _file(**fields):
    fields.setdefault("kind", "reclamo")
    fields.setdefault("subject", "Bache en la calle Sucre")
    fields.setdefault("description", DESCRIPTION)
    return services.complaint_create(**fields)


# --- the demo's six types and the keyword mapping ------------------------------------


def test_the_demo_has_the_six_types_in_order_each_with_a_unit():
    types = list(selectors.problem_types())
    assert [t.slug for t in types] == ["bache", "alumbrado", "basura", "agua", "arbol-caido", "otro"]
    assert types[0].name == "Bache o calle dañada" and types[0].unit.slug == "obras-publicas"
    assert all(t.unit_id for t in types)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("quiero reportar un bache", "bache"),
        ("Hay un HUECO en mi calle", "bache"),
        ("la calle rota frente al colegio", "bache"),
        ("no pasa el carro basurero hace una semana", "basura"),
        ("se cayó un ÁRBOL en la plaza", "arbol-caido"),
        ("arbol caido!!", "arbol-caido"),
        ("Hay una fuga de agua en la esquina", "agua"),
        ("la luminaria de la plaza está apagada", "alumbrado"),
        ("el poste de luz parpadea", "alumbrado"),
    ],
)
def test_free_text_maps_to_a_type(text, slug):
    found = selectors.problem_type_for_text(text)
    assert found is not None and found.slug == slug


@pytest.mark.parametrize("text", ["", "   ", "hola, buenos días", "tengo un problema", "desbachado", "basurales"])
def test_no_keyword_as_a_whole_word_means_no_type(text):
    assert selectors.problem_type_for_text(text) is None


def test_first_match_by_sort_order_and_inactive_types_are_ignored():
    text = "un bache lleno de basura"
    assert selectors.problem_type_for_text(text).slug == "bache"
    ProblemType.objects.filter(slug="basura").update(sort_order=1)
    assert selectors.problem_type_for_text(text).slug == "basura"
    ProblemType.objects.filter(slug="basura").update(active=False)
    assert selectors.problem_type_for_text(text).slug == "bache"
    assert "basura" not in [t.slug for t in selectors.problem_types()]


def test_a_keyword_phrase_matches_only_as_a_phrase():
    unit = MunicipalUnit.objects.get(slug="movilidad")
    ProblemType.objects.create(name="Semáforo", slug="semaforo", unit=unit, keywords="semáforo dañado\n", sort_order=1)
    assert selectors.problem_type_for_text("El SEMAFORO  DAÑADO de la Ayacucho").slug == "semaforo"
    assert selectors.problem_type_for_text("un semáforo nuevo, nada dañado") is None


# --- complaint_create with channel, type and point ---------------------------------------


def test_whatsapp_complaint_with_type_and_point_gets_the_types_unit():
    bache = _type("bache")
    complaint, created = _file(
        unit=None,
        problem_type=bache,
        channel="whatsapp",
        latitude=-17.3935,
        longitude="-66.1570",
        contact_whatsapp="+59171234567",
        notify_consent=True,
    )
    assert created
    complaint.refresh_from_db()
    assert complaint.unit == bache.unit
    assert complaint.problem_type == bache
    assert complaint.channel == Complaint.Channel.WHATSAPP
    assert (complaint.latitude, complaint.longitude) == (Decimal("-17.393500"), Decimal("-66.157000"))


def test_an_explicit_unit_wins_over_the_types_and_the_default_channel_is_web():
    unit = MunicipalUnit.objects.get(slug="movilidad")
    complaint, _ = _file(unit=unit, problem_type=_type("bache"))
    assert complaint.unit == unit and complaint.channel == "web"
    assert complaint.latitude is None and complaint.longitude is None


@pytest.mark.parametrize(
    ("lat", "lon", "message"),
    [
        (-16.5000, -68.1500, "El punto está fuera del municipio."),  # La Paz, not the demo municipality
        (-17.39, None, "La ubicación necesita latitud y longitud."),
        (None, -66.15, "La ubicación necesita latitud y longitud."),
        (-17.39, "", "La ubicación necesita latitud y longitud."),
        (-97.0, -66.15, "La ubicación no es válida."),
        (-17.39, 181, "La ubicación no es válida."),
        ("abc", -66.15, "La ubicación no es válida."),
        ("NaN", -66.15, "La ubicación no es válida."),
    ],
)
def test_bad_points_are_refused_in_spanish_and_nothing_is_filed(lat, lon, message):
    before = Complaint.objects.count()
    with pytest.raises(ValidationError) as exc:
        _file(problem_type=_type("bache"), channel="whatsapp", latitude=lat, longitude=lon)
    assert message in exc.value.messages
    assert Complaint.objects.count() == before


def test_the_bounding_box_comes_from_the_settings(settings):
    settings.AYNI_MUNICIPALITY_BBOX = (-68.25, -16.65, -67.95, -16.25)
    complaint, _ = _file(problem_type=_type("bache"), latitude=-16.5, longitude=-68.15)
    assert complaint.latitude == Decimal("-16.500000")
    with pytest.raises(ValidationError, match="fuera del municipio"):
        _file(problem_type=_type("bache"), latitude=-17.39, longitude=-66.15)


def test_unknown_channel_inactive_type_and_no_unit_are_refused():
    with pytest.raises(ValidationError, match="canal"):
        _file(problem_type=_type("bache"), channel="telegram")
    ProblemType.objects.filter(slug="otro").update(active=False)
    with pytest.raises(ValidationError, match="tipo de problema"):
        _file(problem_type=_type("otro"))
    with pytest.raises(ValidationError, match="unidad"):
        _file(unit=None)


def test_an_anonymous_denuncia_takes_no_point_and_no_chat():
    unit = MunicipalUnit.objects.get(slug="tributaria")
    common = {"kind": "denuncia", "unit": unit, "anonymous": True, "subject": "Cobro irregular"}
    with pytest.raises(ValidationError, match="ubicación exacta"):
        _file(**common, latitude=-17.39, longitude=-66.15)
    with pytest.raises(ValidationError, match="ubicación exacta"):
        _file(**common, latitude=-17.39)  # even half a point
    for channel in ("whatsapp", "chat_web"):
        with pytest.raises(ValidationError, match="formulario anónimo"):
            _file(**common, channel=channel)
    complaint, created = _file(**common, channel="api")
    assert created and complaint.anonymous and complaint.latitude is None


def test_the_database_refuses_an_anonymous_point_or_half_a_point():
    complaint, _ = _file(problem_type=_type("bache"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(latitude=Decimal("-17.39"))
    anonymous, _ = _file(kind="denuncia", unit=complaint.unit, anonymous=True, subject="Cobro irregular")
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=anonymous.pk).update(channel="whatsapp")


def test_the_same_submission_token_files_once():
    fields = {
        "unit": None,
        "problem_type": _type("alumbrado"),
        "channel": "whatsapp",
        "latitude": "-17.3935",
        "longitude": "-66.1570",
        "submission_token": "wa-flow-0123456789abcdef",
    }
    first, created = _file(**fields)
    again, created_again = _file(**fields)
    assert created and not created_again and again.pk == first.pk
    assert Complaint.objects.filter(submission_token="wa-flow-0123456789abcdef").count() == 1
    assert first.events.filter(kind="created").count() == 1


# --- what staff see --------------------------------------------------------------------------


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("jefa@ejemplo.bo", "jefa@ejemplo.bo", "clave-segura-123")


def test_the_queue_shows_the_channel_and_the_problem_type(client, staff):
    chat, _ = _file(unit=None, problem_type=_type("basura"), channel="whatsapp", subject="Basura en la esquina")
    web, _ = _file(unit=None, problem_type=_type("bache"), subject="Bache en la avenida")
    client.force_login(staff)
    html = client.get(reverse("participation_admin:queue")).content.decode()
    row = html[html.index(chat.code) :].split("</tr>")[0]
    assert "WhatsApp" in row and "Basura sin recoger" in row and "w-status" in row
    web_row = html[html.index(web.code) :].split("</tr>")[0]
    assert "WhatsApp" not in web_row and "Bache o calle dañada" in web_row


def test_the_detail_shows_the_channel_and_an_unlocalized_map_link(client, staff):
    complaint, _ = _file(
        unit=None, problem_type=_type("bache"), channel="whatsapp", latitude="-17.393512", longitude="-66.157034"
    )
    client.force_login(staff)
    with translation.override("es"):
        response = client.get(reverse("participation_admin:complaint", args=[complaint.pk]), HTTP_ACCEPT_LANGUAGE="es")
    html = response.content.decode()
    assert response.status_code == 200
    assert "WhatsApp" in html and "Bache o calle dañada" in html
    assert "https://www.openstreetmap.org/?mlat=-17.393512&amp;mlon=-66.157034#map=18/-17.393512/-66.157034" in html
    assert "Ver en el mapa" in html
    assert "-17,39" not in html and "-66,15" not in html


def test_the_detail_has_no_map_link_without_a_point(client, staff):
    complaint, _ = _file(problem_type=_type("bache"))
    client.force_login(staff)
    html = client.get(reverse("participation_admin:complaint", args=[complaint.pk])).content.decode()
    assert "openstreetmap" not in html and "Ver en el mapa" not in html


def test_the_snippet_admin_lists_the_types_for_staff_with_the_permission(client, staff, make_user):
    client.force_login(staff)
    response = client.get("/admin/snippets/participation/problemtype/")
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Bache o calle dañada", "Alumbrado público", "Árbol caído", "Otro problema"):
        assert name in html
    # An officer handles cases, not their routing: no model permission, no list.
    from participation.rules import OFFICERS

    officer = make_user(groups=(OFFICERS,))
    client.force_login(officer)
    response = client.get("/admin/snippets/participation/problemtype/")
    assert response.status_code in (302, 403)


def test_staff_can_edit_a_types_keywords_and_unit(client, staff):
    basura = _type("basura")
    unit = MunicipalUnit.objects.get(slug="obras-publicas")
    client.force_login(staff)
    response = client.post(
        f"/admin/snippets/participation/problemtype/edit/{basura.pk}/",
        {
            "name": basura.name,
            "slug": basura.slug,
            "keywords": "basura\nmicrobasural",
            "unit": unit.pk,
            "sort_order": basura.sort_order,
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert selectors.problem_type_for_text("hay un microbasural").unit == unit
