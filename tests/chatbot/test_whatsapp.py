"""The WhatsApp webhook: challenge, signatures, de-duplication, replies via the (mocked) Graph API."""

import json

import pytest

from chatbot.models import WhatsAppMessage, WhatsAppOutbound, WhatsAppStatus
from cms.selectors import guide_categories_with_guides

from .conftest import VERIFY_TOKEN, meta_message, meta_status, post_webhook

pytestmark = pytest.mark.django_db


def post(client, on_commit, payload):
    with on_commit():
        return post_webhook(client, payload)


def sent_bodies(route):
    return [json.loads(call.request.content) for call in route.calls]


def test_webhook_is_off_without_settings(client, settings):
    settings.WHATSAPP_ENABLED = False
    assert client.get("/webhooks/whatsapp/").status_code == 404


def test_challenge(client, wa_settings):
    ok = client.get(
        "/webhooks/whatsapp/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = client.get("/webhooks/whatsapp/", {"hub.mode": "subscribe", "hub.verify_token": "x", "hub.challenge": "1"})
    assert bad.status_code == 403


def test_unsigned_and_badly_signed_posts_are_refused(client, wa_settings, graph):
    payload = meta_message(message_id="wamid.UNSIGNED")
    assert post_webhook(client, payload, signature=None).status_code == 401
    assert post_webhook(client, payload, signature="sha256=" + "0" * 64).status_code == 403
    assert post_webhook(client, payload, signature="garbage").status_code == 403
    assert not WhatsAppMessage.objects.exists()
    assert not graph.called


def test_malformed_body_is_a_400(client, wa_settings, graph):
    assert post_webhook(client, {}, raw=b"{not json").status_code == 400
    assert post_webhook(client, {}, raw=b"[1, 2]").status_code == 400
    # Signed JSON of another shape is acknowledged and ignored.
    assert post_webhook(client, {"object": "page", "entry": "x"}).status_code == 200
    assert not graph.called


def test_text_message_is_answered_once_even_when_meta_retries(client, wa_settings, graph, on_commit):
    payload = meta_message(message_id="wamid.ABC1", text="cuanto cuesta el catastro")
    first = post(client, on_commit, payload)
    assert first.status_code == 200
    message = WhatsAppMessage.objects.get(message_id="wamid.ABC1")
    assert message.status == WhatsAppMessage.Status.ANSWERED
    bodies = sent_bodies(graph)
    assert bodies[0]["to"] == "59170000001"
    assert bodies[0]["messaging_product"] == "whatsapp"
    assert "Bs 120" in bodies[0]["text"]["body"]
    calls = graph.call_count
    retry = post(client, on_commit, payload)
    assert retry.status_code == 200
    assert WhatsAppMessage.objects.filter(message_id="wamid.ABC1").count() == 1
    assert graph.call_count == calls  # not answered twice
    outbound = WhatsAppOutbound.objects.filter(in_reply_to=message)
    assert outbound.count() == calls and outbound.first().message_id.startswith("wamid.OUT")


def test_menu_is_sent_as_an_interactive_list(client, wa_settings, graph, on_commit):
    post(client, on_commit, meta_message(message_id="wamid.MENU", text="cuentame un chiste"))
    interactive = [b for b in sent_bodies(graph) if b["type"] == "interactive"]
    assert interactive, sent_bodies(graph)
    rows = interactive[0]["interactive"]["action"]["sections"][0]["rows"]
    categories = list(guide_categories_with_guides())[:9]  # reporting a problem, then the CMS's categories
    assert [row["title"] for row in rows] == ["Reportar un problema", *[c.name[:24] for c in categories]]
    assert all(len(row["title"]) <= 24 for row in rows)
    assert rows[0]["id"] == "/report_problem"
    assert rows[1]["id"] == '/menu_option{"menu_category":"' + categories[0].slug + '"}'


def test_a_list_reply_is_understood(client, wa_settings, graph, on_commit):
    extra = {
        "interactive": {
            "type": "list_reply",
            "list_reply": {"id": '/ask_cost{"procedure": "compra-de-nicho"}', "title": "Compra de nicho"},
        }
    }
    post(client, on_commit, meta_message(message_id="wamid.LIST", kind="interactive", text=None, extra=extra))
    bodies = sent_bodies(graph)
    assert any("Bs 1.500" in (b.get("text") or {}).get("body", "") for b in bodies), bodies


@pytest.mark.parametrize("kind", ["audio", "sticker", "video"])
def test_unsupported_messages_get_a_polite_text(client, wa_settings, graph, on_commit, kind):
    extra = {kind: {"id": "MEDIA", "mime_type": "audio/ogg"}}
    post(client, on_commit, meta_message(message_id=f"wamid.{kind}", kind=kind, text=None, extra=extra))
    bodies = sent_bodies(graph)
    assert len(bodies) == 1
    assert "solo puedo leer mensajes de texto" in bodies[0]["text"]["body"]


def test_delivery_statuses_are_recorded_once(client, wa_settings, graph):
    for _ in range(2):
        assert post_webhook(client, meta_status(message_id="wamid.OUT9", status="delivered")).status_code == 200
    post_webhook(client, meta_status(message_id="wamid.OUT9", status="read"))
    assert list(
        WhatsAppStatus.objects.filter(message_id="wamid.OUT9").values_list("status", flat=True).order_by("pk")
    ) == [
        "delivered",
        "read",
    ]
    assert not graph.called


def test_graph_failure_marks_the_message_failed(client, wa_settings, on_commit, respx_mock):
    import httpx

    respx_mock.route(host="127.0.0.1").pass_through()
    respx_mock.post(url__regex=r"https://graph.facebook.com/.*/messages").mock(
        return_value=httpx.Response(400, json={"error": {"message": "bad", "type": "OAuthException", "code": 190}})
    )
    assert post(client, on_commit, meta_message(message_id="wamid.FAIL", text="hola")).status_code == 200
    assert WhatsAppMessage.objects.get(message_id="wamid.FAIL").status == WhatsAppMessage.Status.FAILED


def test_notification_inside_and_outside_the_window(wa_settings, graph):
    from chatbot.services import whatsapp_message_store, whatsapp_notification_send

    whatsapp_message_store(message={"id": "wamid.IN", "from": "59170000002", "type": "text", "text": {"body": "x"}})
    inside = whatsapp_notification_send(wa_id="59170000002", subject="Su caso RC-7K4MX-2Q9PA", body="En proceso")
    outside = whatsapp_notification_send(wa_id="59170000003", subject="Su caso DN-7K4MX-2Q9PA", body="Resuelto")
    bodies = sent_bodies(graph)
    assert inside.kind == "text" and bodies[0]["type"] == "text"
    assert "RC-7K4MX-2Q9PA" in bodies[0]["text"]["body"]
    assert outside.kind == "template" and bodies[1]["type"] == "template"
    template = bodies[1]["template"]
    assert template["name"] == "aviso_municipal" and template["language"]["code"] == "es"
    params = template["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["Su caso DN-7K4MX-2Q9PA", "Resuelto"]


def test_participation_notifies_through_the_whatsapp_channel(wa_settings, graph, on_commit):
    from ayni.notifications import Message, Recipient, notify

    with on_commit():
        queued = notify(
            recipients=[Recipient(whatsapp="+591 70000004")],
            message=Message(event="complaint_status", subject="Su caso cambió de estado", body="Resuelto"),
        )
    assert queued == 1
    bodies = sent_bodies(graph)
    assert bodies and bodies[0]["to"] == "59170000004"
