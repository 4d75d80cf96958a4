"""A reclamo filed on WhatsApp, end to end (issue 15, "Must hold").

Every message is a signed webhook delivery in Meta's documented shapes (text,
interactive ``button_reply`` / ``list_reply``, image, location, sticker, audio);
only Meta's Graph API is mocked, at the HTTP boundary: ``POST /{phone-id}/messages``
(the replies, counted), ``GET /{media-id}`` (``{url, mime_type, sha256, file_size,
id, messaging_product}``) and ``GET url`` with the bearer token (the photo's bytes).
The webhook, the delivery ledger, the chat, the flow, the case services, the
notification channel and the private storage are real.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from chatbot import media
from chatbot.models import Conversation, WhatsAppMessage
from participation.models import Complaint, ProblemType
from participation.models.complaints import attachment_storage

from .conftest import GRAPH, LOOKASIDE, MEDIA_ID, PHONE_ID, jpeg_response, media_info, meta_message, post_webhook

pytestmark = pytest.mark.django_db

WA = "59170000042"
CODE = re.compile(r"RC-[A-Z0-9]{5}-[A-Z0-9]{5}")
DESCRIPTION = "Hay un bache enorme frente al mercado Rodríguez que ya causó accidentes"
PLAZA = {
    "latitude": -17.3935,
    "longitude": -66.157,
    "name": "Plaza 14 de Septiembre",
    "address": "Calle Esteban Arce, Cochabamba",
}


# --- Meta's payloads (built on conftest.meta_message) -------------------------------


def text(wamid: str, body: str, wa: str = WA) -> dict:
    return meta_message(message_id=wamid, wa_id=wa, text=body)


def button(wamid: str, reply_id: str, title: str, wa: str = WA) -> dict:
    extra = {"interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}}
    return meta_message(message_id=wamid, wa_id=wa, kind="interactive", text=None, extra=extra)


def list_reply(wamid: str, reply_id: str, title: str, wa: str = WA) -> dict:
    extra = {"interactive": {"type": "list_reply", "list_reply": {"id": reply_id, "title": title}}}
    return meta_message(message_id=wamid, wa_id=wa, kind="interactive", text=None, extra=extra)


def image(wamid: str, media_id: str = MEDIA_ID, wa: str = WA) -> dict:
    body = {"mime_type": "image/jpeg", "sha256": "HgKUhg5ISJs1kKAh2vQ5UMeaTBUoaoyFkhQkdtVfQAQ=", "id": media_id}
    return meta_message(message_id=wamid, wa_id=wa, kind="image", text=None, extra={"image": body})


def location(wamid: str, point: dict = PLAZA, wa: str = WA) -> dict:
    return meta_message(message_id=wamid, wa_id=wa, kind="location", text=None, extra={"location": point})


def sticker(wamid: str, wa: str = WA) -> dict:
    body = {"mime_type": "image/webp", "sha256": "c3RpY2tlcg==", "id": "2211001100", "animated": False}
    return meta_message(message_id=wamid, wa_id=wa, kind="sticker", text=None, extra={"sticker": body})


def audio(wamid: str, wa: str = WA) -> dict:
    body = {"mime_type": "audio/ogg; codecs=opus", "sha256": "YXVkaW8=", "id": "3311001100", "voice": True}
    return meta_message(message_id=wamid, wa_id=wa, kind="audio", text=None, extra={"audio": body})


# --- helpers ------------------------------------------------------------------------


def photo_bytes() -> bytes:
    """A JPEG with an EXIF orientation and a GPS position (both must not reach the case as metadata)."""
    picture = Image.new("RGB", (40, 20), (20, 20, 220))
    picture.paste((220, 20, 20), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "S", 2: (17.0, 23.0, 11.0), 3: "W", 4: (66.0, 9.0, 25.0)}
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


@pytest.fixture
def wa(wa_settings):
    wa_settings.WHATSAPP_SEND_BACKOFF_SECONDS = 0
    return wa_settings


@pytest.fixture
def photo(meta_media):
    """Meta's media endpoints serving one photo under MEDIA_ID: (info route, bytes route, the bytes)."""
    data = photo_bytes()
    info, content = meta_media(info=httpx.Response(200, json=media_info(size=len(data))), content=jpeg_response(data))
    return info, content, data


def deliver(client, on_commit, payload: dict) -> None:
    """One signed webhook delivery; its reply runs when the delivery's transaction commits."""
    with on_commit():
        response = post_webhook(client, payload)
    assert response.status_code == 200


def sent(graph, since: int = 0) -> list[dict]:
    return [json.loads(call.request.content) for call in graph.calls[since:]]


def shown(body: dict) -> str:
    """What the resident reads in a message the portal sent (text, buttons, list or template)."""
    if body["type"] == "text":
        return body["text"]["body"]
    if body["type"] == "template":
        return " ".join(p["text"] for c in body["template"]["components"] for p in c["parameters"])
    return body["interactive"]["body"]["text"]


def last(graph) -> str:
    return shown(sent(graph)[-1])


def step_of(wa: str = WA) -> str | None:
    from chatbot import services

    conversation = Conversation.objects.filter(sender_hash=services.sender_hash(channel="whatsapp", sender=wa)).first()
    return (conversation.flow or {}).get("step") if conversation else None


def pending_photos() -> set[str]:
    try:
        return set(attachment_storage().listdir(media.PENDING_DIR)[1])
    except FileNotFoundError:
        return set()


def the_flow(wa: str = WA, prefix: str = "wamid.F") -> list[tuple[dict, str, str | None]]:
    """The whole conversation as (delivery, what the reply says, the step after it)."""
    return [
        (text(f"{prefix}1", "quiero reportar un problema", wa), "¿Qué pasó?", "type"),
        (
            list_reply(f"{prefix}2", '/report_type{"type":"bache"}', "Bache o calle dañada", wa),
            "Cuéntame",
            "description",
        ),
        (text(f"{prefix}3", DESCRIPTION, wa), "envía una foto", "photo"),
        (image(f"{prefix}4", wa=wa), "Foto recibida", "photo"),
        (button(f"{prefix}5", "listo", "Listo", wa), "¿Dónde es?", "place"),
        (location(f"{prefix}6", wa=wa), "avisos sobre tu reclamo", "contact"),
        (button(f"{prefix}7", "si", "Sí, avísenme", wa), "Revisa tu reclamo", "confirm"),
        (button(f"{prefix}8", "enviar", "Enviar reclamo", wa), "Registré tu reclamo con el código", None),
    ]


# --- the case is the web form's --------------------------------------------------------


def test_a_whatsapp_reclamo_is_the_same_case_as_the_web_forms(client, wa, graph, photo, on_commit):
    info, content, original = photo
    for payload, says, after in the_flow():
        before = graph.call_count
        deliver(client, on_commit, payload)
        assert graph.call_count == before + 1, payload  # one reply per message
        assert says in last(graph)
        assert step_of() == after
    # The type list was a WhatsApp list (more than three options), its choice a list_reply.
    first = sent(graph)[0]
    assert first["type"] == "interactive" and first["interactive"]["type"] == "list"
    # The photo came through the two media calls, each with the token.
    assert info.call_count == 1 and content.call_count == 1
    for route in (info, content):
        assert route.calls.last.request.headers["Authorization"] == "Bearer test-token"
    assert str(content.calls.last.request.url) == LOOKASIDE

    by_whatsapp = Complaint.objects.get(channel="whatsapp")
    assert by_whatsapp.code in last(graph) and "días hábiles" in last(graph)
    bache = ProblemType.objects.get(slug="bache")

    # The same facts through the web form.
    response = client.post(
        "/participa/reclamos/",
        {
            "kind": "reclamo",
            "unit": bache.unit.pk,
            "subject": by_whatsapp.subject,
            "description": DESCRIPTION,
            "location": "Plaza 14 de Septiembre, Calle Esteban Arce, Cochabamba",
            "contact_whatsapp": WA,
            "notify_consent": "on",
            "attachments": [SimpleUploadedFile("bache.jpg", original, content_type="image/jpeg")],
            "submission_token": "tok-" + "w" * 24,
        },
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 201, response.content.decode()[:2000]
    by_form = Complaint.objects.get(code=CODE.search(response.content.decode()).group(0))

    # Field by field, the same row, but for what only one of them can have: its own code, channel,
    # timestamps and submission token; the chat's problem type (the form asks for the unit, which
    # the type routes to) and its point (the form takes the place in words only).
    differ = {"id", "code", "channel", "created_at", "updated_at", "submission_token", "problem_type", "latitude"}
    differ |= {"longitude"}
    fields = [f.attname for f in Complaint._meta.concrete_fields if f.name not in differ]
    assert {f: getattr(by_whatsapp, f) for f in fields} == {f: getattr(by_form, f) for f in fields}
    assert by_whatsapp.problem_type == bache and by_whatsapp.unit == bache.unit and by_form.problem_type is None
    assert (float(by_whatsapp.latitude), float(by_whatsapp.longitude)) == (-17.3935, -66.157)
    assert by_whatsapp.contact_whatsapp and by_whatsapp.notify_consent and by_whatsapp.status == "recibido"

    def events(case):
        return list(case.events.order_by("pk").values_list("kind", "status_from", "status_to", "public", "text"))

    assert events(by_whatsapp) == events(by_form)
    # The photo: cleaned exactly like the web upload (the same bytes kept), privately, without its metadata.
    [chat_photo], [form_photo] = by_whatsapp.attachments.all(), by_form.attachments.all()
    # (Not byte for byte: the chat's photo is re-encoded when received, so that no metadata is ever kept,
    # and again by complaint_create.)
    assert chat_photo.content_type == form_photo.content_type == "image/jpeg"
    for kept in (chat_photo.file.open("rb").read(), form_photo.file.open("rb").read()):
        picture = Image.open(io.BytesIO(kept))
        assert b"Exif" not in kept and not picture.getexif() and picture.size == (20, 40)  # upright, no EXIF
    assert not pending_photos() & {chat_photo.file.name.rsplit("/", 1)[-1]}


# --- retried deliveries, two residents --------------------------------------------


def test_every_delivery_retried_files_once_and_skips_no_step(client, wa, graph, photo, on_commit):
    info, content, _ = photo
    for payload, says, after in the_flow():
        before = graph.call_count
        deliver(client, on_commit, payload)
        deliver(client, on_commit, payload)  # Meta delivers the same wamid again
        assert graph.call_count == before + 1, payload  # answered once
        assert says in last(graph)
        assert step_of() == after  # one step forward, not two
    assert info.call_count == 1 and content.call_count == 1  # the photo downloaded once
    case = Complaint.objects.get(channel="whatsapp")
    assert case.attachments.count() == 1
    # Late retries of any step, after the case: nothing filed, nothing answered, no flow restarted.
    calls = graph.call_count
    for payload, _says, _after in the_flow():
        deliver(client, on_commit, payload)
    assert graph.call_count == calls and Complaint.objects.filter(channel="whatsapp").count() == 1 and step_of() is None
    assert WhatsAppMessage.objects.filter(wa_id=WA).count() == len(the_flow())


def test_a_reply_meta_refused_is_sent_again_without_filing_again(client, wa, on_commit, respx_mock):
    """The confirmation's reply fails (Meta answers 500): the case is filed once; the retry
    run sends the same code, and Meta's redelivery of the message changes nothing."""
    from chatbot import services

    wa.WHATSAPP_SEND_ATTEMPTS = 1
    respx_mock.route(host="127.0.0.1").pass_through()
    meta = {"down": False, "n": 0}

    def messages(request):
        if meta["down"]:
            return httpx.Response(500, json={"error": {"message": "An unknown error occurred", "code": 1}})
        meta["n"] += 1
        to = json.loads(request.content)["to"]
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": f"wamid.OK{meta['n']}"}],
            },
        )

    respx_mock.post(url__regex=rf"{GRAPH}/v[0-9.]+/{PHONE_ID}/messages").mock(side_effect=messages)
    steps = ["quiero reportar un bache", DESCRIPTION, "omitir", "Calle Jordán 300", "no"]
    for n, body in enumerate(steps):
        deliver(client, on_commit, text(f"wamid.T{n}", body))
    assert step_of() == "confirm" and meta["n"] == len(steps)
    meta["down"] = True
    deliver(client, on_commit, text("wamid.T9", "enviar"))
    message = WhatsAppMessage.objects.get(message_id="wamid.T9")
    assert message.status == WhatsAppMessage.Status.RETRY
    case = Complaint.objects.get(channel="whatsapp")
    assert not case.contact_whatsapp and not case.notify_consent  # the resident said "no"
    deliver(client, on_commit, text("wamid.T9", "enviar"))  # Meta's retry of the same message
    meta["down"] = False
    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"
    assert Complaint.objects.filter(channel="whatsapp").count() == 1
    reply = json.loads(respx_mock.calls.last.request.content)
    assert case.code in reply["text"]["body"]
    assert services.whatsapp_message_reply(message_pk=message.pk) == "skipped"  # answered: never twice


def test_two_residents_filing_at_once_never_mix(client, wa, graph, photo, on_commit):
    ana, beto = "59170000101", "59170000102"
    theirs = {
        ana: the_flow(ana, prefix="wamid.ANA"),
        beto: [
            (text("wamid.BETO1", "no pasa el carro basurero hace una semana por mi calle", beto), "", "photo"),
            (text("wamid.BETO2", "omitir", beto), "", "place"),
            (text("wamid.BETO3", "Av. Buenos Aires 1234, zona Norte", beto), "", "contact"),
            (button("wamid.BETO4", "no", "No", beto), "", "confirm"),
            (text("wamid.BETO5", "enviar", beto), "", None),
        ],
    }
    # Interleaved, one message of each in turn.
    for n in range(max(len(steps) for steps in theirs.values())):
        for number, steps in theirs.items():
            if n < len(steps):
                payload, _says, after = steps[n]
                deliver(client, on_commit, payload)
                assert step_of(number) == after
                assert sent(graph)[-1]["to"] == number  # the reply went to who wrote
    by_ana = Complaint.objects.get(contact_whatsapp__contains=ana[-8:])
    by_beto = Complaint.objects.get(channel="whatsapp", problem_type__slug="basura")
    assert by_ana.problem_type.slug == "bache" and by_ana.description == DESCRIPTION
    assert by_ana.attachments.count() == 1 and by_ana.latitude is not None
    assert by_beto.location == "Av. Buenos Aires 1234, zona Norte" and by_beto.latitude is None
    assert by_beto.attachments.count() == 0 and not by_beto.contact_whatsapp
    to_ana = [shown(body) for body in sent(graph) if body["to"] == ana]
    to_beto = [shown(body) for body in sent(graph) if body["to"] == beto]
    assert by_ana.code in to_ana[-1] and by_beto.code not in " ".join(to_ana)
    assert by_beto.code in to_beto[-1] and by_ana.code not in " ".join(to_beto)


# --- bad input -----------------------------------------------------------------------


def test_bad_input_gets_a_clear_message_and_the_flow_goes_on(client, wa, graph, meta_media, on_commit):
    limit = wa.AYNI_ATTACHMENT_MAX_BYTES
    twenty_mb = 20 * 1024 * 1024
    # A 20 MB photo Meta says is 20 MB: refused from its metadata, its bytes never downloaded.
    big_info, big_bytes = meta_media(
        info=httpx.Response(200, json=media_info(size=twenty_mb, media_id="2000000001")),
        content=jpeg_response(b"\xff\xd8\xff" + b"0" * 100),
        media_id="2000000001",
    )
    # A 20 MB photo whose metadata says 90 KB: cut off while streaming, past the limit.
    pulled = []

    def twenty_megabytes():
        for _ in range(20):
            pulled.append(1)
            yield b"\xff" * (1024 * 1024)

    lying_url = "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=2000000002&ext=1&hash=B"
    meta_media(
        info=httpx.Response(200, json=media_info(size=90_000, media_id="2000000002", url=lying_url)),
        content=httpx.Response(200, content=twenty_megabytes()),
        media_id="2000000002",
        url=lying_url,
    )
    far = {"latitude": -16.5, "longitude": -68.15, "name": "Plaza Murillo", "address": "La Paz"}  # another city
    script = [
        (text("wamid.B1", "quiero reportar un problema"), "¿Qué pasó?", "type"),
        (sticker("wamid.B2"), "No puedo ver stickers ni escuchar audios", "type"),
        (text("wamid.B3", "bache"), "Cuéntame", "description"),
        (audio("wamid.B4"), "No puedo ver stickers ni escuchar audios", "description"),
        (text("wamid.B5", DESCRIPTION), "envía una foto", "photo"),
        (image("wamid.B6", media_id="2000000001"), "tamaño máximo", "photo"),
        (image("wamid.B7", media_id="2000000002"), "tamaño máximo", "photo"),
        (sticker("wamid.B8"), "Envía una foto, o escribe «omitir»", "photo"),
        (text("wamid.B9", "omitir"), "¿Dónde es?", "place"),
        (location("wamid.B10", far), "fuera del municipio", "place"),
        (text("wamid.B11", "Calle Jordán esquina Ayacucho"), "avisos sobre tu reclamo", "contact"),
        (text("wamid.B12", "   "), "Responde «sí» o «no»", "contact"),
        (button("wamid.B13", "si", "Sí, avísenme"), "Revisa tu reclamo", "confirm"),
        (text("wamid.B14", ""), "¿Lo envío?", "confirm"),
        (text("wamid.B15", "   "), "¿Lo envío?", "confirm"),
        (text("wamid.B16", "👍"), "¿Lo envío?", "confirm"),
        (audio("wamid.B17"), "¿Lo envío?", "confirm"),
    ]
    for payload, says, after in script:
        before = graph.call_count
        deliver(client, on_commit, payload)
        assert graph.call_count == before + 1, payload
        assert says in last(graph), (says, last(graph))
        assert step_of() == after, payload
        assert not Complaint.objects.filter(channel="whatsapp").exists()
    assert big_info.call_count == 1 and big_bytes.call_count == 0
    assert len(pulled) <= limit // (1024 * 1024) + 2  # stopped soon after the limit, not all 20 MB
    # The buttons are offered again where the step has them.
    confirm = sent(graph)[-1]
    assert [b["reply"]["title"] for b in confirm["interactive"]["action"]["buttons"]] == ["Enviar reclamo", "Cancelar"]
    assert set(WhatsAppMessage.objects.values_list("status", flat=True)) == {WhatsAppMessage.Status.ANSWERED}
    deliver(client, on_commit, text("wamid.B18", "enviar"))
    case = Complaint.objects.get(channel="whatsapp")
    assert case.location == "Calle Jordán esquina Ayacucho" and case.latitude is None
    assert case.attachments.count() == 0 and case.code in last(graph)


def test_outside_a_flow_a_sticker_still_gets_the_text_only_answer(client, wa, graph, on_commit):
    deliver(client, on_commit, sticker("wamid.X1"))
    assert "solo puedo leer mensajes de texto" in last(graph)
    assert not Conversation.objects.exists()


# --- cancel, expiry, anonymity, status --------------------------------------------------


@pytest.mark.parametrize("steps", range(1, 8))
def test_cancelar_ends_the_flow_at_any_step(client, wa, graph, photo, on_commit, steps):
    before_photos = pending_photos()
    for payload, _says, _after in the_flow()[:steps]:
        deliver(client, on_commit, payload)
    assert step_of() is not None
    deliver(
        client, on_commit, button("wamid.CANCEL", "cancelar", "Cancelar") if steps == 7 else text("wamid.C", "cancelar")
    )
    assert "cancelé el reclamo" in last(graph)
    assert step_of() is None and not Complaint.objects.filter(channel="whatsapp").exists()
    assert pending_photos() == before_photos  # a photo already received is deleted


def test_a_flow_left_for_30_minutes_expires_politely(client, wa, graph, photo, on_commit, settings):
    before_photos = pending_photos()
    for payload, _says, _after in the_flow()[:4]:  # up to the photo
        deliver(client, on_commit, payload)
    assert pending_photos() - before_photos
    Conversation.objects.update(
        updated_at=timezone.now() - timedelta(minutes=settings.CHATBOT_CONVERSATION_MINUTES, seconds=5)
    )
    deliver(client, on_commit, sticker("wamid.E1"))  # not the flow's any more
    assert "solo puedo leer mensajes de texto" in last(graph)
    deliver(client, on_commit, text("wamid.E2", "hola"))
    assert "quedó sin enviar" in last(graph) or any("quedó sin enviar" in shown(b) for b in sent(graph)[-2:])
    assert step_of() is None and not Complaint.objects.filter(channel="whatsapp").exists()
    assert pending_photos() == before_photos
    deliver(client, on_commit, button("wamid.E3", "enviar", "Enviar reclamo"))  # the old summary's button
    assert not Complaint.objects.filter(channel="whatsapp").exists()


def test_an_anonymous_denuncia_is_refused_with_the_web_forms_link(client, wa, graph, on_commit):
    cases = Complaint.objects.count()
    deliver(client, on_commit, text("wamid.AN1", "quiero hacer una denuncia anónima sobre un funcionario"))
    said = last(graph)
    assert "anónima" in said and "formulario web" in said
    assert re.search(r"https?://\S+/participa/reclamos/", said)
    assert step_of() is None and Complaint.objects.count() == cases


def _filed(client, on_commit) -> Complaint:
    for payload, _says, _after in the_flow():
        deliver(client, on_commit, payload)
    return Complaint.objects.get(channel="whatsapp")


def test_estado_and_the_code_answer_the_status(client, wa, graph, photo, on_commit, django_user_model):
    from participation.services.complaints import complaint_change_status

    case = _filed(client, on_commit)
    deliver(client, on_commit, text("wamid.S1", f"estado {case.code}"))
    assert case.code in last(graph) and "recibido" in last(graph).lower()
    staff = django_user_model.objects.create_superuser("jefa-estado", "jefa-estado@example.org", "una-clave-larga-123")
    complaint_change_status(complaint=case, actor=staff, status="en_proceso", text="Cuadrilla asignada.")
    deliver(client, on_commit, text("wamid.S2", case.code.lower()))
    assert "en proceso" in last(graph).lower()


def _flush(on_commit) -> None:
    from ayni import notifications

    with on_commit():
        notifications.notification_groups_flush(now=timezone.now() + notifications.group_window())


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("jefa-wa", "jefa-wa@example.org", "una-clave-larga-123")


def test_a_status_change_sends_exactly_one_whatsapp_message(client, wa, graph, photo, on_commit, staff):
    from participation.services.complaints import complaint_change_status, complaint_reply

    case = _filed(client, on_commit)
    before = graph.call_count
    with on_commit():
        complaint_change_status(complaint=case, actor=staff, status="en_proceso", text="Cuadrilla asignada.")
        complaint_reply(complaint=case, actor=staff, text="Vamos el martes.")  # grouped with the change
    _flush(on_commit)
    _flush(on_commit)  # a second run sends nothing more
    [update] = sent(graph, before)  # every POST to the Graph API, whoever it is for
    assert update["to"] == WA and update["type"] == "text"  # inside the 24-hour window: free text
    assert case.code in shown(update)
    # Closing the case, with the resident silent for more than 24 hours: the approved template.
    WhatsAppMessage.objects.filter(wa_id=WA).update(received_at=timezone.now() - timedelta(hours=25))
    before = graph.call_count
    with on_commit():
        complaint_change_status(complaint=case, actor=staff, status="cerrado", text="Bache reparado.")
    _flush(on_commit)
    [closing] = sent(graph, before)
    assert closing["to"] == WA and closing["type"] == "template"
    assert closing["template"]["name"] == wa.WHATSAPP_STATUS_TEMPLATE
    assert case.code in shown(closing)


# --- staff -------------------------------------------------------------------------------


def test_staff_see_the_channel_the_photo_and_the_map_link(client, wa, graph, photo, on_commit, staff):
    from django.urls import reverse

    from participation.services.complaints import complaint_create

    case = _filed(client, on_commit)
    plain, _created = complaint_create(
        kind="reclamo", unit=case.unit, subject="Bache en la avenida", description=DESCRIPTION, location="Av. Ayacucho"
    )
    client.force_login(staff)
    html = client.get(reverse("participation_admin:queue")).content.decode()
    row = html[html.index(case.code) :].split("</tr>")[0]
    assert "WhatsApp" in row and "w-status" in row and "Bache o calle dañada" in row
    # The point opens on the map from the queue; the photo is marked.
    assert 'href="https://www.openstreetmap.org/?mlat=-17.393500&amp;mlon=-66.157000' in row
    assert 'aria-label="Ver la ubicación en el mapa"' in row and 'aria-label="Con foto"' in row
    other = html[html.index(plain.code) :].split("</tr>")[0]  # a case without point or photo: neither mark
    assert "openstreetmap" not in other and "Con foto" not in other and "WhatsApp" not in other
    page = client.get(reverse("participation_admin:complaint", args=[case.pk])).content.decode()
    assert f'alt="Foto 1 del caso {case.code}' in page
    assert "https://www.openstreetmap.org/?mlat=-17.393500&amp;mlon=-66.157000" in page
    attachment = case.attachments.get()
    served = client.get(reverse("participation_admin:attachment", args=[case.pk, attachment.pk]) + "?ver=1")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"


def test_from_the_menu_with_typed_answers_and_photos_up_to_the_web_forms_limit(client, wa, graph, photo, on_commit):
    """Started from the menu's list row, every step answered in words, three photos (the web form's limit)."""
    info, content, _ = photo
    assert wa.AYNI_ATTACHMENT_MAX_COUNT == 3
    script = [
        (list_reply("wamid.M1", "/report_problem", "Reportar un problema"), "¿Qué pasó?", "type"),
        (text("wamid.M2", "basura"), "Cuéntame", "description"),
        (text("wamid.M3", "No recogen la basura de la esquina hace diez días"), "envía una foto", "photo"),
        (image("wamid.M4"), "Foto recibida", "photo"),
        (image("wamid.M5"), "Foto recibida", "photo"),
        (image("wamid.M6"), "¿Dónde es?", "place"),  # the third: the limit, on to the place
        (text("wamid.M7", "Calle Sucre y Antezana, zona Central"), "avisos sobre tu reclamo", "contact"),
        (text("wamid.M8", "sí"), "Fotos: 3", "confirm"),
        (text("wamid.M9", "enviar"), "Registré tu reclamo", None),
    ]
    for payload, says, after in script:
        deliver(client, on_commit, payload)
        assert says in last(graph), (says, last(graph))
        assert step_of() == after
    case = Complaint.objects.get(channel="whatsapp")
    assert case.problem_type.slug == "basura" and case.attachments.count() == 3
    assert case.location == "Calle Sucre y Antezana, zona Central" and case.notify_consent
    assert info.call_count == 3 and content.call_count == 3
