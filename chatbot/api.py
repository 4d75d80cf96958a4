"""``POST /api/chat/``: one chat message in, the bot's replies out."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from ayni.api_errors import errors
from ayni.clients import client_key
from ayni.ratelimit import RateLimited, hit
from chatbot import services
from chatbot.uploads import upload_offer

router = Router()


class ChatIn(Schema):
    sender: str = Field("", max_length=200, description=str(_("Identificador de la conversación (se guarda cifrado).")))
    text: str = Field(..., max_length=services.MAX_TEXT, description=str(_("Mensaje de la persona.")))
    lang: str = Field("", max_length=8, description=str(_("Idioma de las respuestas (es, en); se recuerda.")))


class ButtonOut(Schema):
    title: str
    payload: str


class ReplyOut(Schema):
    text: str
    buttons: list[ButtonOut]


class GuideRefOut(Schema):
    slug: str
    url: str


class OptionOut(Schema):
    slug: str
    title: str


class UploadOut(Schema):
    url: str
    token: str
    accept: list[str]


class ChatOut(Schema):
    replies: list[ReplyOut]
    intent: str
    guide: GuideRefOut | None
    options: list[OptionOut] = Field(
        default_factory=list,
        description=str(_("Cuando dos guías están demasiado cerca, las opciones que el asistente ofrece.")),
    )
    engine: str
    upload: UploadOut | None = Field(
        None,
        description=str(
            _(
                "En el paso de la foto de un reclamo: dónde enviar la foto (multipart/form-data, campos "
                "«photo» y «conversation» con este token, y el token CSRF que da un GET a la misma dirección)."
            )
        ),
    )


class ErrorOut(Schema):
    detail: str


@router.post(
    "", response={200: ChatOut, **errors(400, 422), 429: ErrorOut}, summary="Enviar un mensaje al asistente virtual"
)
async def chat(request, payload: ChatIn):
    # Per client (ayni.clients: the real address, never a header the client can vary),
    # in the same "chat" bucket as the web chat's websocket.
    client = client_key(request)
    limit, window = settings.AYNI_CHAT_RATE
    try:
        await sync_to_async(hit)(scope="chat", key=client, limit=limit, window=window)
    except RateLimited:
        return 429, {"detail": gettext_now("Demasiados mensajes seguidos. Espera un momento y vuelve a escribir.")}
    answer = await services.chat_message_answer_async(
        sender=payload.sender, text=payload.text, channel="api", request=request, client=client, language=payload.lang
    )
    return upload_offer(answer, channel="api", sender=payload.sender)
