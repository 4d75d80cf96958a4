"""``POST /api/chat/``: one chat message in, the bot's replies out."""

from django.utils.translation import gettext_lazy as _
from ninja import Field, Router, Schema

from chatbot import services

router = Router()


class ChatIn(Schema):
    sender: str = Field("", max_length=200, description=str(_("Identificador de la conversación (se guarda cifrado).")))
    text: str = Field(..., max_length=services.MAX_TEXT, description=str(_("Mensaje de la persona.")))


class ButtonOut(Schema):
    title: str
    payload: str


class ReplyOut(Schema):
    text: str
    buttons: list[ButtonOut]


class GuideRefOut(Schema):
    slug: str
    url: str


class ChatOut(Schema):
    replies: list[ReplyOut]
    intent: str
    guide: GuideRefOut | None
    engine: str


@router.post("", response=ChatOut, summary="Enviar un mensaje al asistente virtual")
async def chat(request, payload: ChatIn):
    return await services.chat_message_answer_async(
        sender=payload.sender, text=payload.text, channel="api", request=request
    )


class ResolveOut(Schema):
    slug: str | None
    score: float


@router.get("resolve/", response=ResolveOut, summary="La guía que mejor corresponde a una pregunta (uso del asistente)")
def resolve(request, q: str = ""):
    from chatbot.fallback import resolve_guide

    slug, score = resolve_guide(q[:500])
    return {"slug": slug, "score": round(score, 3)}
