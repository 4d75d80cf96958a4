from channels.generic.websocket import AsyncJsonWebsocketConsumer

from participation.realtime import LIST_GROUP, proposal_group


class SupportCountConsumer(AsyncJsonWebsocketConsumer):
    """Read-only: pushes ``{"proposal": id, "count": n}`` whenever supports change."""

    async def connect(self):
        pk = self.scope["url_route"]["kwargs"].get("pk")
        self.group = proposal_group(pk) if pk is not None else LIST_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients only listen."""

    async def support_count(self, event):
        await self.send_json({"proposal": event["proposal"], "count": event["count"]})
