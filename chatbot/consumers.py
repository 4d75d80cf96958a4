"""``/ws/chat/``: the web chat widget's websocket.

Each connection is one conversation; the widget sends ``{"text": "..."}`` and
receives the same JSON as ``POST /api/chat/``. The conversation id is made
here, so nothing per-user is ever in the cached page.
"""

from __future__ import annotations

import uuid

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from chatbot import services


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.conversation = uuid.uuid4().hex
        await self.accept()

    async def receive_json(self, content, **kwargs):
        text = content.get("text") if isinstance(content, dict) else None
        if not isinstance(text, str):
            await self.send_json({"error": _('Mensaje no válido: envíe {"text": "..."}.')})
            return
        if len(text) > services.MAX_TEXT:
            await self.send_json({"error": _("El mensaje es demasiado largo (máximo 5000 caracteres).")})
            return
        answer = await services.chat_message_answer_async(sender=self.conversation, text=text, channel="web")
        await self.send_json(answer)

    @classmethod
    async def decode_json(cls, text_data):
        import json

        try:
            return json.loads(text_data)
        except ValueError:
            return None
