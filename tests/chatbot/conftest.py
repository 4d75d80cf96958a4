import hashlib
import hmac
import json
import socket

import pytest

from chatbot import whatsapp

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
PHONE_ID = "123456789012345"
GRAPH = "https://graph.facebook.com"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _rasa_down(request, settings):
    """Unit tests never reach a Rasa server (the integration tests point RASA_URL at theirs).

    Answers stay on the test's thread (and so inside its transaction).
    """
    settings.CHATBOT_ANSWER_IN_POOL = False
    if request.node.get_closest_marker("integration") is None:
        settings.RASA_URL = f"http://127.0.0.1:{_closed_port()}"
        settings.RASA_TIMEOUT = 1.0


@pytest.fixture
def wa_settings(settings):
    settings.WHATSAPP_TOKEN = "test-token"
    settings.WHATSAPP_PHONE_NUMBER_ID = PHONE_ID
    settings.WHATSAPP_APP_SECRET = APP_SECRET
    settings.WHATSAPP_VERIFY_TOKEN = VERIFY_TOKEN
    settings.WHATSAPP_ENABLED = True
    whatsapp._client.cache_clear()
    yield settings
    whatsapp._client.cache_clear()


def sign(body: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def meta_message(
    *,
    message_id: str,
    wa_id: str = "59170000001",
    text: str | None = "hola",
    kind: str = "text",
    extra: dict | None = None,
) -> dict:
    """A webhook delivery shaped like the WhatsApp Cloud API's."""
    message = {"from": wa_id, "id": message_id, "timestamp": "1735689600", "type": kind}
    if kind == "text":
        message["text"] = {"body": text}
    message.update(extra or {})
    return _envelope({"contacts": [{"profile": {"name": "Vecina"}, "wa_id": wa_id}], "messages": [message]})


def meta_status(*, message_id: str, status: str, wa_id: str = "59170000001") -> dict:
    return _envelope(
        {"statuses": [{"id": message_id, "status": status, "timestamp": "1735689700", "recipient_id": wa_id}]}
    )


def _envelope(value: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "WABA_ID",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": "59122000000", "phone_number_id": PHONE_ID},
                            **value,
                        },
                    }
                ],
            }
        ],
    }


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the enqueued replies) although tests run inside a transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def post_webhook(client, payload: dict, *, signature: str | None = "auto", raw: bytes | None = None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(body)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post("/webhooks/whatsapp/", data=body, content_type="application/json", **headers)


@pytest.fixture
def graph(respx_mock):
    """Meta's Graph API, mocked at the HTTP boundary; loopback traffic passes through."""
    respx_mock.route(host="127.0.0.1").pass_through()
    respx_mock.route(host="localhost").pass_through()
    counter = {"n": 0}

    def sent(request):
        import httpx

        counter["n"] += 1
        body = json.loads(request.content)
        return httpx.Response(
            200,
            json={
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                "messages": [{"id": f"wamid.OUT{counter['n']}"}],
            },
        )

    route = respx_mock.post(url__regex=rf"{GRAPH}/v[0-9.]+/{PHONE_ID}/messages").mock(side_effect=sent)
    return route


# --- Meta's media endpoints (WhatsApp images) --------------------------------------

MEDIA_ID = "1037543291543636"
LOOKASIDE = f"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid={MEDIA_ID}&ext=1735689600&hash=ATt"


def media_info(*, size: int, mime: str = "image/jpeg", media_id: str = MEDIA_ID, url: str = LOOKASIDE) -> dict:
    """``GET /{media-id}``'s answer in Meta's documented shape."""
    return {
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": mime,
        "sha256": "HgKUhg5ISJs1kKAh2vQ5UMeaTBUoaoyFkhQkdtVfQAQ=",
        "file_size": size,
        "id": media_id,
    }


def answers(script) -> dict:
    """respx's mock arguments for one response, an exception, or a list of them in turn."""
    return {"side_effect": script} if isinstance(script, list | Exception) else {"return_value": script}


def jpeg_response(data: bytes):
    import httpx

    return httpx.Response(200, content=data, headers={"Content-Type": "image/jpeg"})


@pytest.fixture
def meta_media(respx_mock):
    """The Cloud API's two media calls: the media's URL (Graph API), then its bytes (lookaside, with the token).

    ``meta_media(info=..., content=..., media_id=..., url=...)`` returns the two respx routes.
    """
    respx_mock.route(host="127.0.0.1").pass_through()

    def routes(*, info, content=None, media_id: str = MEDIA_ID, url: str = LOOKASIDE):
        info_route = respx_mock.get(url__regex=rf"{GRAPH}/v[0-9.]+/{media_id}$")
        info_route.mock(**answers(info))
        data_route = respx_mock.get(url=url)
        if content is not None:
            data_route.mock(**answers(content))
        return info_route, data_route

    return routes
