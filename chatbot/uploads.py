"""``/api/chat/foto/``: a photo attached in the web chat, at the reclamo flow's photo step.

When the flow asks for a photo on the web chat (``chatbot.flows``), the answer
(the websocket's or ``POST /api/chat/``'s) carries ``upload``: this URL and a
token signed by the portal that names the conversation (its channel and
sender) and expires with it. The widget sends the photo here as
``multipart/form-data`` (``photo`` and ``conversation``) with Django's CSRF
token (``GET`` here gives one, and its cookie: the cached page has none).

Nothing the client sends is used as a path or a name: the conversation comes
from the signed token only, and the photo's bytes go to the flow as the
attachment of a message, like a WhatsApp image (``flows.step(...,
attachment=...)``), where ``chatbot.media.pending_photo_store`` cleans them
like a web upload (type by bytes, pixel limit, re-encoded without metadata)
and keeps them privately under a random name. The answer is the chat's JSON
(the flow's replies). Refusals are JSON ``{"detail": "<Spanish message>"}``:
403 for a token that is not the portal's or has expired, 409 when the
conversation is not at the photo step, 413 for a photo over
``AYNI_ATTACHMENT_MAX_BYTES``, 415 for anything but a JPEG or PNG image, 429
past ``AYNI_CHAT_RATE`` (the chat's own bucket, per client).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ayni.clients import client_key
from ayni.ratelimit import RateLimited, hit
from chatbot import media, services

SALT = "chatbot.uploads.conversation"
CHANNELS = {"web", "api"}
_SLACK = 64 * 1024  # the multipart envelope around the photo


def upload_offer(answer: dict, *, channel: str, sender: str) -> dict:
    """``answer`` with its ``upload`` (URL and signed token) when a reply asks for a photo on the web chat."""
    replies = answer.get("replies") or []
    if channel in CHANNELS and any(isinstance(r, dict) and r.get("attach") == "photo" for r in replies):
        token = signing.dumps({"c": channel, "s": sender}, salt=SALT, compress=True)
        answer["upload"] = {"url": reverse("chat_photo"), "token": token, "accept": sorted(media.IMAGE_TYPES)}
    else:
        answer.pop("upload", None)
    return answer


def _conversation(token: str) -> tuple[str, str] | None:
    """(channel, sender) of a token the portal signed, if it has not expired with its conversation."""
    try:
        value = signing.loads(token, salt=SALT, max_age=settings.CHATBOT_CONVERSATION_MINUTES * 60)
    except signing.BadSignature:
        return None
    if not isinstance(value, dict) or value.get("c") not in CHANNELS or not isinstance(value.get("s"), str):
        return None
    return value["c"], value["s"]


def _refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def _at_photo_step(*, channel: str, sender: str) -> bool:
    state, _expired = services.conversation_state(
        sender_hash=services.sender_hash(channel=channel, sender=sender or "anonymous")
    )
    flow = state.get("flow") or {}
    return flow.get("step") == "photo"


@never_cache
@require_http_methods(["GET", "POST"])
def chat_photo(request):
    if request.method == "GET":  # the CSRF token (and its cookie) for the upload
        return JsonResponse({"csrfToken": get_token(request)})
    limit, window = settings.AYNI_CHAT_RATE
    client = client_key(request)
    try:
        hit(scope="chat", key=client, limit=limit, window=window)
    except RateLimited:
        return _refuse(429, _("Demasiados mensajes seguidos. Espera un momento y vuelve a escribir."))
    max_bytes = settings.AYNI_ATTACHMENT_MAX_BYTES
    too_large = _("La foto supera el tamaño máximo de %(mb)d MB. Adjunta una foto más pequeña.") % {
        "mb": max_bytes // (1024 * 1024)
    }
    declared = request.META.get("CONTENT_LENGTH", "")
    if declared.isdigit() and int(declared) > max_bytes + _SLACK:
        return _refuse(413, too_large)  # refused before the body is read
    conversation = _conversation(request.POST.get("conversation", ""))
    if conversation is None:
        return _refuse(
            403, _("Esta conversación ya no es válida. Escribe «reportar» para empezar el reclamo de nuevo.")
        )
    channel, sender = conversation
    photo = request.FILES.get("photo")
    if photo is None:
        return _refuse(400, _("No recibí ninguna foto. Elige una foto e intenta de nuevo."))
    if photo.size > max_bytes:
        return _refuse(413, too_large)
    if not _at_photo_step(channel=channel, sender=sender):
        return _refuse(409, _("Ahora no estoy esperando una foto. Escribe «reportar» para empezar un reclamo."))
    data = photo.read(max_bytes + 1)
    mime = _image_type(data)
    if mime is None:
        return _refuse(415, _("Solo puedo recibir fotos en formato JPG o PNG."))
    answer = services.chat_message_answer(
        sender=sender,
        text="",
        channel=channel,
        request=request,
        client=client,
        attachment={"type": "image", "data": data, "mime_type": mime},
    )
    return JsonResponse(upload_offer(answer, channel=channel, sender=sender))


def _image_type(data: bytes) -> str | None:
    """The photo's content type from its bytes (never from its name or the browser's word), if accepted."""
    import filetype

    kind = filetype.guess(data) if data else None
    return kind.mime if kind and kind.mime in media.IMAGE_TYPES else None
