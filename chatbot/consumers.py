"""``/ws/chat/``: the web chat widget's websocket.

Each connection is one conversation; the widget sends ``{"text": "...", "lang": "es"}`` and
receives the same JSON as ``POST /api/chat/`` (with ``upload`` at a reclamo's photo step:
``chatbot.uploads``). The conversation id is made
here, so nothing per-user is ever in the cached page.

Bad input never closes the socket with an error (1011): a binary frame, a
frame over ``MAX_FRAME`` characters, a NUL character, text that is not JSON or
is nested too deep, or more than ``AYNI_CHAT_RATE`` messages per client and
window are each answered with ``{"error": "<Spanish message>"}`` and the
conversation stays open, so the widget can show the message and go on.
(Frames over 1 MiB never reach the consumer: the server's limit, ``ws_max_size``
in ayni.server, closes the connection with 1009.) The rate limit shares its bucket (scope ``chat``, one
key per client address from ``ayni.clients``) with ``POST /api/chat/``.
"""

from __future__ import annotations

import uuid

from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from ayni import jsonsafe
from ayni.clients import scope_client_key
from ayni.ratelimit import RateLimited, hit
from chatbot import services
from chatbot.uploads import upload_offer

# A message of MAX_TEXT characters, each escaped as \uXXXX\uXXXX, with room to spare.
MAX_FRAME = 64 * 1024
MAX_DEPTH = 8


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.conversation = uuid.uuid4().hex
        self.client_key = scope_client_key(self.scope)
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        if text_data is None:
            await self._error(_('Solo se aceptan mensajes de texto con JSON: envíe {"text": "..."}.'))
            return
        if len(text_data) > MAX_FRAME:
            await self._error(_("El mensaje es demasiado largo (máximo 5000 caracteres)."))
            return
        if "\x00" in text_data:
            await self._error(_("El mensaje contiene caracteres no permitidos."))
            return
        limit, window = settings.AYNI_CHAT_RATE
        try:
            await sync_to_async(hit)(scope="chat", key=self.client_key, limit=limit, window=window)
        except RateLimited:
            await self._error(_("Demasiados mensajes seguidos. Espera un momento y vuelve a escribir."))
            return
        await self.receive_json(await self.decode_json(text_data), **kwargs)

    async def receive_json(self, content, **kwargs):
        text = content.get("text") if isinstance(content, dict) else None
        if not isinstance(text, str):
            await self._error(_('Mensaje no válido: envíe {"text": "..."}.'))
            return
        if len(text) > services.MAX_TEXT:
            await self._error(_("El mensaje es demasiado largo (máximo 5000 caracteres)."))
            return
        if "\x00" in text:
            await self._error(_("El mensaje contiene caracteres no permitidos."))
            return
        lang = content.get("lang")
        answer = await services.chat_message_answer_async(
            sender=self.conversation,
            text=text,
            channel="web",
            client=self.client_key,
            language=lang[:8] if isinstance(lang, str) else "",
        )
        await self.send_json(upload_offer(answer, channel="web", sender=self.conversation))

    async def _error(self, message: str) -> None:
        await self.send_json({"error": message})

    @classmethod
    async def decode_json(cls, text_data):
        """The frame's JSON, or None when it is not JSON or nests deeper than a chat message can."""
        try:
            return jsonsafe.loads(text_data, max_depth=MAX_DEPTH)
        except jsonsafe.JSONError:
            return None
