"""A photo attached in the web chat at the reclamo flow's photo step (chatbot.uploads, issue 15).

The widget gets ``upload`` (a URL and a token the portal signed for the
conversation) in the answer that asks for the photo, fetches a CSRF token
from the same URL, and posts the photo there; the flow receives it as the
attachment of a message, like a WhatsApp image, and the filed case keeps a
cleaned copy.
"""

import io

import pytest
from django.core import signing
from django.test import Client
from PIL import Image

from chatbot import media, uploads
from chatbot.models import Conversation
from participation.models import Complaint

from .test_whatsapp_media import photo_with_orientation_and_gps, private  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

URL = "/api/chat/foto/"


def chat(client, text, sender):
    response = client.post("/api/chat/", {"sender": sender, "text": text}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def text_of(answer) -> str:
    return "\n".join(r["text"] for r in answer["replies"])


def to_photo_step(client, sender) -> dict:
    """A reclamo up to the photo step; the answer that offers the upload."""
    chat(client, "quiero reportar un problema", sender)
    chat(client, '/report_type{"type":"bache"}', sender)
    answer = chat(client, "Hay un bache enorme frente al mercado que ya causó accidentes", sender)
    assert "adjúntala" in text_of(answer) and "¿Dónde es?" in text_of(answer)
    assert Conversation.objects.get().flow["step"] == "photo"
    return answer


@pytest.fixture
def web():
    """A client that enforces CSRF, as a browser meets it."""
    return Client(enforce_csrf_checks=True)


def csrf(web) -> str:
    response = web.get(URL)
    assert response.status_code == 200 and "no-cache" in response["Cache-Control"]
    return response.json()["csrfToken"]


def upload(web, token: str, data: bytes, *, name="foto.jpg", content_type="image/jpeg", csrf_token=None):
    photo = io.BytesIO(data)
    photo.name = name
    headers = {"HTTP_X_CSRFTOKEN": csrf_token if csrf_token is not None else csrf(web)}
    return web.post(URL, {"photo": photo, "conversation": token}, **headers)


def small_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 90, 60)).save(out, "JPEG")
    return out.getvalue()


def test_a_photo_uploaded_in_the_web_chat_goes_with_the_case(web, private):  # noqa: F811
    offer = to_photo_step(web, "foto-1")["upload"]
    assert offer["url"] == URL and offer["accept"] == ["image/jpeg", "image/png"]

    response = upload(web, offer["token"], photo_with_orientation_and_gps())
    assert response.status_code == 200, response.content
    answer = response.json()
    assert "Foto recibida" in text_of(answer)
    assert answer["upload"]["token"]  # another photo may follow at the same step
    [key] = Conversation.objects.get().flow["data"]["photos"]
    assert key.startswith(f"{media.PENDING_DIR}/") and private.exists(key)

    summary = chat(web, "Calle Rodríguez esquina Zoilo Flores", "foto-1")
    assert "Fotos: 1" in text_of(summary)
    done = chat(web, "enviar", "foto-1")
    case = Complaint.objects.get(channel="chat_web")
    assert case.code in text_of(done)
    [attachment] = case.attachments.all()
    assert attachment.content_type == "image/jpeg"
    kept = attachment.file.open("rb").read()
    assert b"Exif" not in kept and b"TelefonoMarca" not in kept  # GPS and camera gone (re-encoded)
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and not image.getexif() and image.size == (20, 40)  # upright
    assert not private.exists(key)  # the pending copy went with the filing


def test_the_summary_counts_the_photo_and_the_place_is_typed_at_the_same_step(web, private):  # noqa: F811
    offer = to_photo_step(web, "foto-2")["upload"]
    assert upload(web, offer["token"], small_jpeg()).status_code == 200
    summary = chat(web, "Av. Heroínas 500", "foto-2")
    assert "Revisa tu reclamo" in text_of(summary) and "Fotos: 1" in text_of(summary)
    assert summary["upload"] is None  # no upload offered past the photo step
    chat(web, "enviar", "foto-2")
    case = Complaint.objects.get(channel="chat_web")
    assert case.attachments.count() == 1 and case.location == "Av. Heroínas 500"


def test_refusals_are_clear_and_4xx(web, settings, private):  # noqa: F811
    offer = to_photo_step(web, "foto-3")["upload"]
    token = offer["token"]

    settings.AYNI_ATTACHMENT_MAX_BYTES = 2048
    big = upload(web, token, b"\xff\xd8\xff" + b"0" * 5000)
    assert big.status_code == 413 and "tamaño máximo" in big.json()["detail"]
    settings.AYNI_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024

    text = upload(web, token, b"%PDF-1.4 no soy una foto" * 10, name="foto.jpg")
    assert text.status_code == 415 and "JPG o PNG" in text.json()["detail"]
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, "GIF")
    assert upload(web, token, gif.getvalue(), name="a.gif", content_type="image/gif").status_code == 415

    # A token the portal did not sign, or signed for another conversation, names no conversation here.
    forged = signing.dumps({"c": "api", "s": "foto-3"}, salt="another-salt")
    assert upload(web, forged, small_jpeg()).status_code == 403
    assert upload(web, token + "x", small_jpeg()).status_code == 403
    other = signing.dumps({"c": "api", "s": "someone-else"}, salt=uploads.SALT, compress=True)
    foreign = upload(web, other, small_jpeg())
    assert foreign.status_code == 409 and "no estoy esperando una foto" in foreign.json()["detail"]
    assert web.post(URL, {"conversation": token}, HTTP_X_CSRFTOKEN=csrf(web)).status_code == 400

    # Without the CSRF token: refused before anything is read.
    without = Client(enforce_csrf_checks=True)
    photo = io.BytesIO(small_jpeg())
    photo.name = "foto.jpg"
    assert without.post(URL, {"photo": photo, "conversation": token}).status_code == 403

    assert Conversation.objects.get().flow["data"]["photos"] == []  # nothing refused was kept


def test_an_expired_token_is_refused(web, settings):
    offer = to_photo_step(web, "foto-4")["upload"]
    settings.CHATBOT_CONVERSATION_MINUTES = -1  # every token is older than its conversation may live
    response = upload(web, offer["token"], small_jpeg())
    assert response.status_code == 403 and "reportar" in response.json()["detail"]


def test_uploads_count_against_the_chat_rate(web, settings):
    offer = to_photo_step(web, "foto-5")["upload"]
    settings.AYNI_CHAT_RATE = (3, 60)  # three chat messages were already sent by this client
    response = upload(web, offer["token"], small_jpeg())
    assert response.status_code == 429 and "Espera un momento" in response.json()["detail"]


def test_a_photo_outside_the_photo_step_is_refused(web):
    assert chat(web, "cuanto cuesta el catastro", "foto-6")["upload"] is None
    token = signing.dumps({"c": "api", "s": "foto-6"}, salt=uploads.SALT, compress=True)
    response = upload(web, token, small_jpeg())
    assert response.status_code == 409


def test_the_websocket_answer_offers_the_upload_at_the_photo_step():
    answer = {"replies": [{"text": "…", "buttons": [], "attach": "photo"}]}
    offered = uploads.upload_offer(answer, channel="web", sender="abc")
    value = signing.loads(offered["upload"]["token"], salt=uploads.SALT)
    assert value == {"c": "web", "s": "abc"}
    assert "upload" not in uploads.upload_offer({"replies": [{"text": "…", "buttons": []}]}, channel="web", sender="a")
    assert "upload" not in uploads.upload_offer(answer, channel="whatsapp", sender="591")
