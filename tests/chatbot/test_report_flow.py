"""Reclamos by chat: the guided flow on the web chat and on WhatsApp (issue 15).

WhatsApp conversations go end to end through signed webhook deliveries in Meta's
documented shapes (text, interactive replies, image, location); only Meta's Graph
API is mocked, at the HTTP boundary.
"""

import io
import json

import httpx
import pytest
from PIL import Image

from chatbot.models import Conversation
from participation.models import Complaint

from .conftest import GRAPH, meta_message, post_webhook

pytestmark = pytest.mark.django_db


def chat(client, text, sender="rec-1"):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def text_of(answer) -> str:
    return "\n".join(r["text"] for r in answer["replies"])


def test_web_chat_files_a_reclamo(client):
    first = chat(client, "quiero reportar un problema")
    assert first["intent"] == "report_problem"
    types = [b["title"] for b in first["replies"][0]["buttons"]]
    assert types and "Bache" in " ".join(types)
    bache = next(b for b in first["replies"][0]["buttons"] if "Bache" in b["title"])
    assert "Cuéntame brevemente qué pasa" in text_of(chat(client, bache["payload"]))
    chat(client, "Hay un bache enorme frente al mercado Rodríguez que ya causó accidentes")
    place = chat(client, "Calle Rodríguez esquina Zoilo Flores, zona San Pedro")
    assert "Revisa tu reclamo" in text_of(place)
    assert [b["title"] for b in place["replies"][0]["buttons"]] == ["Enviar reclamo", "Cancelar"]
    done = chat(client, "enviar")
    case = Complaint.objects.get(channel="chat_web")
    assert case.code in text_of(done) and "días hábiles" in text_of(done)
    assert case.kind == "reclamo" and case.problem_type.slug == "bache"
    assert case.unit == case.problem_type.unit
    assert case.location.startswith("Calle Rodríguez") and not case.contact_whatsapp
    assert Conversation.objects.get().flow == {}
    # Sending "enviar" again files nothing more.
    chat(client, "enviar")
    assert Complaint.objects.filter(channel="chat_web").count() == 1


def test_a_sentence_names_the_problem_and_skips_steps(client):
    first = chat(client, "no pasa el carro basurero hace una semana por mi calle", sender="rec-2")
    assert first["intent"] == "report_problem"
    assert "¿Dónde es?" in text_of(first)  # type and description taken from the sentence
    chat(client, "Av. Buenos Aires 1234", sender="rec-2")
    chat(client, "si", sender="rec-2")
    case = Complaint.objects.get(channel="chat_web")
    assert case.problem_type.slug == "basura"


def test_cancel_at_any_step(client):
    chat(client, "quiero hacer un reclamo", sender="rec-3")
    chat(client, "alumbrado", sender="rec-3")
    answer = chat(client, "cancelar", sender="rec-3")
    assert "cancelé" in text_of(answer)
    assert not Complaint.objects.filter(channel="chat_web").exists()
    # The bot is back to normal questions.
    assert chat(client, "cuanto cuesta el catastro", sender="rec-3")["guide"]["slug"] == "certificado-catastral"


def test_an_idle_flow_expires_politely(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    chat(client, "quiero reportar un bache", sender="rec-4")
    Conversation.objects.update(
        updated_at=timezone.now() - timedelta(minutes=settings.CHATBOT_CONVERSATION_MINUTES + 1)
    )
    answer = chat(client, "hola", sender="rec-4")
    assert "quedó sin enviar" in text_of(answer)
    assert answer["intent"] == "greet"
    assert "quedó sin enviar" not in text_of(chat(client, "hola", sender="rec-4"))  # said once


def test_anonymous_denuncias_go_to_the_web_form(client):
    answer = chat(client, "quiero hacer una denuncia anonima", sender="rec-5")
    assert answer["intent"] == "report_anonymous"
    assert "/participa/reclamos/" in text_of(answer) or "reclamos" in text_of(answer)
    assert not Conversation.objects.filter(flow__name="report").exists()


def test_bad_input_in_the_flow_keeps_the_step(client):
    chat(client, "quiero reportar un problema", sender="rec-6")
    assert "No reconocí el tipo de problema" in text_of(chat(client, "???", sender="rec-6"))
    assert Conversation.objects.get().flow["step"] == "type"
    chat(client, "bache", sender="rec-6")
    short = chat(client, "feo", sender="rec-6")
    assert "al menos" in text_of(short)
    assert Conversation.objects.get().flow["step"] == "description"


def test_an_unclear_answer_at_the_confirmation_files_nothing(client):
    sender = "rec-7"
    chat(client, "quiero reportar un bache", sender=sender)
    chat(client, "Un bache profundo en la esquina de la escuela", sender=sender)
    assert "Revisa tu reclamo" in text_of(chat(client, "Av. Heroínas 500", sender=sender))
    for unclear in ("tal vez", "   ", "?!", "no sé"):
        again = chat(client, unclear, sender=sender)
        assert "¿Lo envío?" in text_of(again), unclear
        assert [b["title"] for b in again["replies"][0]["buttons"]] == ["Enviar reclamo", "Cancelar"]
    assert not Complaint.objects.filter(channel="chat_web").exists()
    assert Conversation.objects.get().flow["step"] == "confirm"
    done = chat(client, "enviar", sender=sender)
    assert Complaint.objects.get(channel="chat_web").code in text_of(done)


def test_a_step_retried_after_an_error_keeps_what_was_given(client):
    sender = "rec-8"
    chat(client, "quiero reportar un bache", sender=sender)
    assert "al menos" in text_of(chat(client, "feo", sender=sender))
    # The resident tries again at the same step: the type chosen before is kept.
    place = chat(client, "El bache de la calle Jordán ya rompió dos llantas", sender=sender)
    assert "¿Dónde es?" in text_of(place)
    flow = Conversation.objects.get().flow
    # The web chat asks for a photo and the place at the same step.
    assert flow["step"] == "photo" and flow["data"]["type_name"] and "Jordán" in flow["data"]["description"]


# --- WhatsApp ---------------------------------------------------------------------


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def media(respx_mock, wa_settings):
    """Meta's media endpoints: the media's URL, then its bytes (with the token)."""
    body = _jpeg()
    respx_mock.get(url__regex=rf"{GRAPH}/v[0-9.]+/MEDIA1$").mock(
        return_value=httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=MEDIA1",
                "mime_type": "image/jpeg",
                "sha256": "x",
                "file_size": len(body),
                "id": "MEDIA1",
            },
        )
    )
    respx_mock.get(url__startswith="https://lookaside.fbsbx.com/").mock(
        return_value=httpx.Response(200, content=body, headers={"Content-Type": "image/jpeg"})
    )
    return body


def _send(client, on_commit, message):
    with on_commit():
        response = post_webhook(client, message)
    assert response.status_code == 200


def _last_text(graph) -> str:
    body = json.loads(graph.calls[-1].request.content)
    if body["type"] == "text":
        return body["text"]["body"]
    return body["interactive"]["body"]["text"]


def test_whatsapp_reclamo_with_photo_and_location(client, wa_settings, graph, media, on_commit):
    wa = "59170000042"
    _send(client, on_commit, meta_message(message_id="wamid.R1", wa_id=wa, text="quiero reportar un poste sin luz"))
    _send(
        client,
        on_commit,
        meta_message(message_id="wamid.R2", wa_id=wa, text="el poste de la esquina esta apagado hace 5 noches"),
    )
    assert "foto" in _last_text(graph)
    image = {"image": {"id": "MEDIA1", "mime_type": "image/jpeg", "sha256": "x"}}
    _send(client, on_commit, meta_message(message_id="wamid.R3", wa_id=wa, kind="image", text=None, extra=image))
    assert "Foto recibida" in _last_text(graph)
    _send(client, on_commit, meta_message(message_id="wamid.R4", wa_id=wa, text="listo"))
    location = {
        "location": {
            "latitude": -17.3935,
            "longitude": -66.157,
            "name": "Plaza 14 de Septiembre",
            "address": "Cochabamba",
        }
    }
    _send(client, on_commit, meta_message(message_id="wamid.R5", wa_id=wa, kind="location", text=None, extra=location))
    reply = {"interactive": {"type": "button_reply", "button_reply": {"id": "si", "title": "Sí, avísenme"}}}
    _send(client, on_commit, meta_message(message_id="wamid.R6", wa_id=wa, kind="interactive", text=None, extra=reply))
    assert "Revisa tu reclamo" in _last_text(graph)
    confirm = {"interactive": {"type": "button_reply", "button_reply": {"id": "enviar", "title": "Enviar"}}}
    _send(
        client, on_commit, meta_message(message_id="wamid.R7", wa_id=wa, kind="interactive", text=None, extra=confirm)
    )
    case = Complaint.objects.get(channel="whatsapp")
    assert case.problem_type.slug == "alumbrado"
    assert float(case.latitude) == -17.3935 and float(case.longitude) == -66.157
    assert case.contact_whatsapp == wa and case.notify_consent
    assert case.attachments.count() == 1
    assert case.code in _last_text(graph)
    # Meta delivers the confirmation again: nothing is filed twice, nothing is answered twice.
    calls = graph.call_count
    _send(
        client, on_commit, meta_message(message_id="wamid.R7", wa_id=wa, kind="interactive", text=None, extra=confirm)
    )
    assert Complaint.objects.filter(channel="whatsapp").count() == 1 and graph.call_count == calls


def test_a_list_reply_chooses_the_problem_type(client, wa_settings, graph, on_commit):
    """WhatsApp shows the problem types as a list (more than three options); choosing one
    arrives as an interactive ``list_reply`` with the option's id."""
    wa = "59170000077"
    _send(client, on_commit, meta_message(message_id="wamid.L1", wa_id=wa, text="quiero reportar un problema"))
    sent = json.loads(graph.calls[-1].request.content)
    assert sent["type"] == "interactive" and sent["interactive"]["type"] == "list"
    rows = [row for section in sent["interactive"]["action"]["sections"] for row in section["rows"]]
    tree = next(row for row in rows if "rbol" in row["title"])
    reply = {"interactive": {"type": "list_reply", "list_reply": {"id": tree["id"], "title": tree["title"]}}}
    _send(client, on_commit, meta_message(message_id="wamid.L2", wa_id=wa, kind="interactive", text=None, extra=reply))
    assert "Cuéntame brevemente" in _last_text(graph)
    flow = Conversation.objects.get().flow
    assert flow["step"] == "description" and "rbol" in flow["data"]["type_name"]


def test_two_residents_never_mix(client, wa_settings, graph, on_commit):
    _send(client, on_commit, meta_message(message_id="wamid.A1", wa_id="59170000001", text="quiero reportar un bache"))
    _send(client, on_commit, meta_message(message_id="wamid.B1", wa_id="59170000002", text="quiero reportar basura"))
    _send(
        client, on_commit, meta_message(message_id="wamid.A2", wa_id="59170000001", text="un hueco enorme en mi calle")
    )
    flows = {c.flow["data"]["type"]: c.flow["step"] for c in Conversation.objects.all()}
    assert flows == {"bache": "photo", "basura": "description"}


def test_a_location_outside_the_municipality_is_refused(client, wa_settings, graph, on_commit):
    wa = "59170000043"
    _send(client, on_commit, meta_message(message_id="wamid.O1", wa_id=wa, text="quiero reportar un arbol caido"))
    _send(
        client, on_commit, meta_message(message_id="wamid.O2", wa_id=wa, text="se cayo un arbol grande sobre la vereda")
    )
    _send(client, on_commit, meta_message(message_id="wamid.O3", wa_id=wa, text="omitir"))
    far = {"location": {"latitude": 48.85, "longitude": 2.35, "name": "Paris", "address": "Francia"}}
    _send(client, on_commit, meta_message(message_id="wamid.O4", wa_id=wa, kind="location", text=None, extra=far))
    assert "fuera del municipio" in _last_text(graph)
    assert Conversation.objects.get().flow["step"] == "place"


def test_a_sticker_mid_flow_gets_a_clear_message(client, wa_settings, graph, on_commit):
    wa = "59170000044"
    _send(client, on_commit, meta_message(message_id="wamid.S1", wa_id=wa, text="quiero reportar un bache"))
    sticker = {"sticker": {"id": "STK", "mime_type": "image/webp", "animated": False}}
    _send(client, on_commit, meta_message(message_id="wamid.S2", wa_id=wa, kind="sticker", text=None, extra=sticker))
    assert _last_text(graph)
    assert Conversation.objects.get().flow["step"] == "description"


def test_a_status_change_reaches_the_resident_once(client, wa_settings, graph, on_commit, django_user_model):
    from participation.services.complaints import complaint_change_status

    wa = "59170000045"
    for n, text in enumerate(
        ["quiero reportar un bache", "hay un bache enorme frente a mi casa", "omitir", "Av. Heroínas 100", "si"]
    ):
        _send(client, on_commit, meta_message(message_id=f"wamid.N{n}", wa_id=wa, text=text))
    _send(client, on_commit, meta_message(message_id="wamid.N9", wa_id=wa, text="enviar"))
    case = Complaint.objects.get(channel="whatsapp")
    assert case.contact_whatsapp == wa and case.notify_consent
    staff = django_user_model.objects.filter(is_superuser=True).first() or django_user_model.objects.create_superuser(
        "jefa", "jefa@example.org", "una-clave-larga-123"
    )
    before = graph.call_count
    with on_commit():
        complaint_change_status(complaint=case, actor=staff, status="en_proceso", text="Cuadrilla asignada.")
    assert graph.call_count == before  # grouped with any other change for AYNI_NOTIFY_GROUP_SECONDS
    from django.utils import timezone

    from ayni import notifications

    with on_commit():
        notifications.notification_groups_flush(now=timezone.now() + notifications.group_window())
    sent = [json.loads(call.request.content) for call in graph.calls[before:]]
    sent = [body for body in sent if body["to"] == wa]
    assert len(sent) == 1 and sent[0]["to"] == wa
    assert case.code in json.dumps(sent[0], ensure_ascii=False) or "reclamo" in json.dumps(sent[0], ensure_ascii=False)


def test_a_chat_case_is_the_same_in_the_database_as_a_web_form_case(client):
    """Filed by the web chat or by the web form with the same facts: the same row but for code, channel,
    type and submission token (the form has no problem type; the chat routes by it)."""
    import re as _re

    from participation.models import ProblemType

    problem = ProblemType.objects.get(slug="bache")
    description = "Hay un bache enorme frente al mercado que ya causó accidentes"
    place = "Calle Rodríguez esquina Zoilo Flores"
    for text in ["quiero reportar un problema", '/report_type{"type":"bache"}', description, place, "enviar"]:
        chat(client, text, sender="same-1")
    by_chat = Complaint.objects.get(channel="chat_web")
    response = client.post(
        "/participa/reclamos/",
        {
            "kind": "reclamo",
            "unit": problem.unit.pk,
            "subject": description,
            "description": description,
            "location": place,
            "submission_token": "tok-" + "b" * 20,
        },
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 201
    code = _re.search(r"RC-[A-Z0-9]{5}-[A-Z0-9]{5}", response.content.decode()).group(0)
    by_form = Complaint.objects.get(code=code)
    skip = {"id", "code", "channel", "problem_type", "submission_token", "created_at", "updated_at"}
    fields = [f.attname for f in Complaint._meta.concrete_fields if f.name not in skip and f.attname not in skip]
    assert {f: getattr(by_chat, f) for f in fields} == {f: getattr(by_form, f) for f in fields}
    assert by_chat.problem_type == problem and by_form.problem_type is None
    assert list(by_chat.events.values_list("kind", "status_to", "public")) == list(
        by_form.events.values_list("kind", "status_to", "public")
    )
