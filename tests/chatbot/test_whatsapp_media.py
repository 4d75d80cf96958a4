"""WhatsApp image and location messages, and the photo download through the Cloud API media endpoint.

Only Meta's Graph API is mocked (respx, at the HTTP boundary, in Meta's documented shapes);
the webhook, the ledger, the chat, the cleaning and the private storage are real.
"""

from __future__ import annotations

import io
import os
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from PIL import Image

from chatbot import media, services
from chatbot.models import ChatExchange, WhatsAppMessage
from participation.models.complaints import attachment_storage
from participation.uploads import clean_upload

from .conftest import GRAPH, MEDIA_ID, jpeg_response, media_info, meta_message, post_webhook

pytestmark = pytest.mark.django_db

NUMBER = "59170000077"
RED, BLUE = (220, 20, 20), (20, 20, 220)


@pytest.fixture
def wa(wa_settings):
    wa_settings.WHATSAPP_SEND_BACKOFF_SECONDS = 0  # no pause between attempts in tests
    wa_settings.WHATSAPP_SEND_ATTEMPTS = 3
    return wa_settings


@pytest.fixture
def private():
    """The complaint attachments' private storage, as configured (STORAGES is not overridden: model
    fields keep the storage they were built with); the photos a test kept are deleted afterwards."""
    storage = attachment_storage()

    def kept() -> set[str]:
        try:
            return set(storage.listdir(media.PENDING_DIR)[1])
        except FileNotFoundError:
            return set()

    before = kept()
    yield storage
    for name in kept() - before:
        storage.delete(f"{media.PENDING_DIR}/{name}")


def image_message(message_id: str, *, caption: str | None = None, image: dict | None = None) -> dict:
    body = image or {
        "mime_type": "image/jpeg",
        "sha256": "HgKUhg5ISJs1kKAh2vQ5UMeaTBUoaoyFkhQkdtVfQAQ=",
        "id": MEDIA_ID,
    }
    if caption is not None:
        body = {**body, "caption": caption}
    return meta_message(message_id=message_id, wa_id=NUMBER, kind="image", text=None, extra={"image": body})


def location_message(message_id: str, **location) -> dict:
    point = {
        "latitude": -17.3935,
        "longitude": -66.157,
        "name": "Plaza 14 de Septiembre",
        "address": "Calle Esteban Arce, Cochabamba",
        **location,
    }
    point = {key: value for key, value in point.items() if value is not None}
    return meta_message(message_id=message_id, wa_id=NUMBER, kind="location", text=None, extra={"location": point})


def store(client, payload) -> WhatsAppMessage | None:
    """Deliver a signed webhook; the reply task's on-commit callback is not run (the test runs it)."""
    assert post_webhook(client, payload).status_code == 200
    return WhatsAppMessage.objects.filter(wa_id=NUMBER).order_by("-pk").first()


def exchanges() -> list[ChatExchange]:
    hashed = services.sender_hash(channel="whatsapp", sender=NUMBER)
    return list(ChatExchange.objects.filter(sender_hash=hashed, channel="whatsapp"))


def bodies(route) -> list[str]:
    import json

    return [(json.loads(call.request.content).get("text") or {}).get("body", "") for call in route.calls]


# --- inbound messages ----------------------------------------------------------------


def test_an_image_message_is_stored_with_its_payload_and_reaches_the_chat(client, wa, graph):
    message = store(client, image_message("wamid.IMG1", caption="Bache en la avenida"))
    assert message.kind == "image" and message.text == "Bache en la avenida"
    assert message.payload == {"type": "image", "media_id": MEDIA_ID, "mime_type": "image/jpeg"}

    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"

    logged = exchanges()
    assert [exchange.text for exchange in logged] == ["Bache en la avenida"]  # answered by chat_message_answer
    assert graph.called and not any("solo puedo leer mensajes de texto" in body for body in bodies(graph))
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.ANSWERED
    assert message.payload is None  # the media id goes once answered


def test_an_image_without_caption_still_reaches_the_chat(client, wa, graph):
    message = store(client, image_message("wamid.IMG2"))
    assert message.text == "" and message.payload["type"] == "image"
    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"
    assert len(exchanges()) == 1
    message.refresh_from_db()
    assert message.payload is None


def test_a_location_message_is_stored_as_a_point_and_reaches_the_chat(client, wa, graph):
    message = store(client, location_message("wamid.LOC1"))
    assert message.kind == "location" and message.text == ""
    assert message.payload == {
        "type": "location",
        "latitude": -17.3935,
        "longitude": -66.157,
        "name": "Plaza 14 de Septiembre",
        "address": "Calle Esteban Arce, Cochabamba",
    }

    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"

    assert len(exchanges()) == 1  # chat_message_answer answered it, not the "text only" reply
    assert graph.called and not any("solo puedo leer mensajes de texto" in body for body in bodies(graph))
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.ANSWERED and message.payload is None


def test_a_location_without_name_or_address_and_with_integer_degrees(client, wa, graph):
    message = store(client, location_message("wamid.LOC2", latitude=-17, longitude=-66, name=None, address=None))
    assert message.payload == {"type": "location", "latitude": -17.0, "longitude": -66.0, "name": "", "address": ""}


def test_the_payload_goes_when_the_reply_fails(client, wa, respx_mock):
    respx_mock.post(url__regex=rf"{GRAPH}/v[0-9.]+/.*/messages").mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad", "type": "OAuthException", "code": 190}})
    )
    message = store(client, location_message("wamid.LOC3"))
    assert services.whatsapp_message_reply(message_pk=message.pk) == "failed"
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.FAILED and message.payload is None


def test_a_message_never_answered_loses_its_payload_when_closed_by_the_purge(client, wa):
    message = store(client, location_message("wamid.LOC4"))
    WhatsAppMessage.objects.filter(pk=message.pk).update(received_at=timezone.now() - timedelta(hours=25))
    assert services.purge_expired()["whatsapp_unanswered_closed"] == 1
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.FAILED and message.payload is None


def test_through_the_webhook_the_reply_runs_at_once(client, wa, graph, on_commit):
    with on_commit():
        assert post_webhook(client, location_message("wamid.LOC5")).status_code == 200
    message = WhatsAppMessage.objects.get(message_id="wamid.LOC5")
    assert message.status == WhatsAppMessage.Status.ANSWERED and message.payload is None
    assert len(exchanges()) == 1


@pytest.mark.parametrize("kind", ["sticker", "audio", "video", "document"])
def test_other_media_keep_the_text_only_answer(client, wa, graph, kind):
    extra = {kind: {"id": MEDIA_ID, "mime_type": "audio/ogg" if kind == "audio" else "application/octet-stream"}}
    message = store(client, meta_message(message_id=f"wamid.{kind}", wa_id=NUMBER, kind=kind, text=None, extra=extra))
    assert message.payload is None
    assert services.whatsapp_message_reply(message_pk=message.pk) == "answered"
    assert exchanges() == []
    assert len(bodies(graph)) == 1 and "solo puedo leer mensajes de texto" in bodies(graph)[0]


@pytest.mark.parametrize(
    "location",
    [
        {"latitude": 200},
        {"longitude": -180.5},
        {"latitude": "-17.39"},
        {"latitude": True},
        {"latitude": None},
        {"longitude": None},
        {"name": "x" * 5000},
        {"address": ["Calle"]},
    ],
)
def test_a_malformed_location_is_skipped(client, wa, graph, location):
    assert post_webhook(client, location_message("wamid.BADLOC", **location)).status_code == 200
    assert not WhatsAppMessage.objects.exists()
    assert not graph.called


def test_a_location_that_is_not_an_object_is_skipped(client, wa, graph):
    payload = meta_message(message_id="wamid.BADLOC2", kind="location", text=None, extra={"location": "-17,-66"})
    assert post_webhook(client, payload).status_code == 200
    assert not WhatsAppMessage.objects.exists()


@pytest.mark.parametrize(
    "image",
    [
        {"mime_type": "image/jpeg"},  # no id
        {"id": "../../me/messages", "mime_type": "image/jpeg"},
        {"id": MEDIA_ID},  # no mime type
        {"id": MEDIA_ID, "mime_type": "image/jpeg", "caption": {"text": "hola"}},
        {"id": MEDIA_ID, "mime_type": "image/jpeg", "sha256": 12},
    ],
)
def test_a_malformed_image_is_skipped(client, wa, graph, image):
    assert post_webhook(client, image_message("wamid.BADIMG", image=image)).status_code == 200
    assert not WhatsAppMessage.objects.exists()


def test_a_location_name_is_kept_on_one_line(client, wa):
    message = store(client, location_message("wamid.LOC6", name="Mercado\n\x00 Calatayud\t", address=""))
    assert message.payload["name"] == "Mercado Calatayud"


# --- photo download ------------------------------------------------------------------


def photo_with_orientation_and_gps() -> bytes:
    """40×20 stored (left red, right blue), EXIF orientation 6 (shown 20×40, red on top) and a GPS position."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "S", 2: (17.0, 23.0, 11.0), 3: "W", 4: (66.0, 9.0, 25.0)}  # GPSInfo
    exif[0x010F] = "TelefonoMarca"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def test_a_photo_is_downloaded_cleaned_and_kept_privately(wa, meta_media, private):
    original = photo_with_orientation_and_gps()
    url, data = meta_media(
        info=httpx.Response(200, json=media_info(size=len(original))), content=jpeg_response(original)
    )

    downloaded, mime = media.whatsapp_media_download(media_id=MEDIA_ID)

    assert downloaded == original and mime == "image/jpeg"
    from pywa.utils import Version

    assert url.calls.last.request.url.path == f"/v{Version.GRAPH_API.value}/{MEDIA_ID}"  # the replies' version
    for route in (url, data):
        assert route.call_count == 1
        assert route.calls.last.request.headers["Authorization"] == "Bearer test-token"

    key = media.pending_photo_store(data=downloaded, mime_type=mime)
    assert key.startswith("chat-pending/") and key.endswith(".jpg")
    assert private.exists(key)  # the complaint attachments' private storage

    upload = media.pending_photo_open(key)
    kept = upload.read()
    assert upload.name.endswith(".jpg") and upload.size == len(kept)
    assert b"Exif" not in kept and b"TelefonoMarca" not in kept
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and not image.getexif()
    assert image.size == (20, 40)  # upright: the orientation is applied, not lost
    rgb = image.convert("RGB")
    assert all(abs(a - b) < 40 for a, b in zip(rgb.getpixel((10, 8)), RED, strict=True))
    # What complaint_create(attachments=[...]) does with it: the web form's cleaning accepts it.
    upload.seek(0)
    assert clean_upload(upload).content_type == "image/jpeg"

    media.pending_photo_delete(key)
    assert not private.exists(key)
    with pytest.raises(media.MediaError):
        media.pending_photo_open(key)


def test_a_photo_over_the_limit_is_refused_before_its_bytes_are_downloaded(wa, meta_media):
    url, data = meta_media(
        info=httpx.Response(200, json=media_info(size=wa.AYNI_ATTACHMENT_MAX_BYTES + 1)),
        content=jpeg_response(b"\xff\xd8" + b"0" * 100),
    )
    with pytest.raises(media.MediaError) as exc:
        media.whatsapp_media_download(media_id=MEDIA_ID)
    assert "tamaño máximo" in exc.value.message and not exc.value.retryable
    assert url.call_count == 1 and data.call_count == 0


def test_a_body_growing_past_the_limit_is_cut_off_while_streaming(wa, meta_media):
    wa.AYNI_ATTACHMENT_MAX_BYTES = 10_000
    pulled = []

    def endless():
        for _ in range(1000):
            pulled.append(1)
            yield b"\xff" * 1000

    meta_media(
        info=httpx.Response(200, json=media_info(size=5000)),  # Meta's size said it fits
        content=httpx.Response(200, content=endless()),  # no Content-Length: chunked
    )
    with pytest.raises(media.MediaError) as exc:
        media.whatsapp_media_download(media_id=MEDIA_ID)
    assert "tamaño máximo" in exc.value.message
    assert len(pulled) < 100


def test_a_pdf_sent_as_a_jpeg_is_refused(wa, meta_media):
    pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    meta_media(info=httpx.Response(200, json=media_info(size=len(pdf))), content=jpeg_response(pdf))
    with pytest.raises(media.MediaError) as exc:
        media.whatsapp_media_download(media_id=MEDIA_ID)
    assert "JPG o PNG" in exc.value.message
    with pytest.raises(media.MediaError):  # and never stored, whatever the caller passes
        media.pending_photo_store(data=pdf, mime_type="image/jpeg")


def test_a_type_the_web_form_refuses_is_not_downloaded(wa, meta_media):
    url, data = meta_media(info=httpx.Response(200, json=media_info(size=100, mime="image/webp")), content=None)
    with pytest.raises(media.MediaError):
        media.whatsapp_media_download(media_id=MEDIA_ID)
    assert data.call_count == 0


def test_a_server_error_is_retried(wa, meta_media):
    original = photo_with_orientation_and_gps()
    url, data = meta_media(
        info=[
            httpx.Response(500, json={"error": {"message": "An unknown error occurred", "code": 1}}),
            httpx.Response(200, json=media_info(size=len(original))),
        ],
        content=[httpx.Response(503), httpx.ConnectError("reset"), jpeg_response(original)],
    )
    assert media.whatsapp_media_download(media_id=MEDIA_ID) == (original, "image/jpeg")
    assert url.call_count == 2 and data.call_count == 3


def test_a_refusal_is_not_retried(wa, meta_media):
    url, data = meta_media(
        info=httpx.Response(
            404, json={"error": {"message": "Unsupported get request", "type": "GraphMethodException", "code": 100}}
        )
    )
    with pytest.raises(media.MediaError) as exc:
        media.whatsapp_media_download(media_id=MEDIA_ID)
    assert not exc.value.retryable
    assert url.call_count == 1 and data.call_count == 0


def test_a_lasting_outage_ends_after_the_attempts_with_a_retryable_error(wa, meta_media):
    url, _data = meta_media(info=httpx.ConnectTimeout("timed out"))
    with pytest.raises(media.MediaError) as exc:
        media.whatsapp_media_download(media_id=MEDIA_ID)
    assert exc.value.retryable and url.call_count == wa.WHATSAPP_SEND_ATTEMPTS


def test_too_many_pixels_are_refused_like_a_web_upload(wa, private):
    wa.AYNI_IMAGE_MAX_PIXELS = 100
    with pytest.raises(media.MediaError) as exc:
        media.pending_photo_store(data=photo_with_orientation_and_gps(), mime_type="image/jpeg")
    assert "demasiado grande" in exc.value.message


def test_unfinished_flows_photos_are_purged(wa, private):
    old = media.pending_photo_store(data=photo_with_orientation_and_gps(), mime_type="image/jpeg")
    new = media.pending_photo_store(data=photo_with_orientation_and_gps(), mime_type="image/jpeg")
    # Far older than anything another run may have left behind in the shared storage.
    long_ago = (timezone.now() - timedelta(days=20 * 365)).timestamp()
    os.utime(private.path(old), (long_ago, long_ago))

    assert media.pending_photos_purge(older_than=timedelta(days=19 * 365)) == 1

    assert not private.exists(old)
    assert media.pending_photo_open(new).size > 0
    assert media.pending_photos_purge(older_than=timedelta(days=19 * 365)) == 0


@pytest.mark.parametrize("key", ["../reclamos/2026/01/a.jpg", "chat-pending/../../etc/passwd", "chat-pending/x.jpg"])
def test_only_pending_photo_keys_are_opened_or_deleted(wa, key):
    with pytest.raises(ValueError):
        media.pending_photo_open(key)
    with pytest.raises(ValueError):
        media.pending_photo_delete(key)


def test_a_message_waiting_for_a_retry_is_closed_by_the_purge_past_the_window(client, wa):
    message = store(client, location_message("wamid.LOC9"))
    WhatsAppMessage.objects.filter(pk=message.pk).update(
        status=WhatsAppMessage.Status.RETRY,
        pending_replies=[{"text": "Tu reclamo RC-7K4MX-2Q9PA", "buttons": []}],
        received_at=timezone.now() - timedelta(hours=25),
    )
    assert services.purge_expired()["whatsapp_unanswered_closed"] == 1
    message.refresh_from_db()
    assert message.status == WhatsAppMessage.Status.FAILED
    assert message.payload is None and message.pending_replies is None
