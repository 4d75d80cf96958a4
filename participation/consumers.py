from channels.generic.websocket import AsyncJsonWebsocketConsumer

from participation.realtime import LIST_GROUP, count_poller, proposal_group


class SupportCountConsumer(AsyncJsonWebsocketConsumer):
    """Read-only: pushes ``{"proposal": id, "count": n, "identity_count": m}`` whenever supports change
    (``m``: the supports of residents whose identity the provider proved).

    On the embedded default (no shared channel layer) the process also re-reads the
    counts while pages listen, so supports saved by another process arrive too
    (participation.realtime).
    """

    poller = None

    async def connect(self):
        pk = self.scope["url_route"]["kwargs"].get("pk")
        self.group = proposal_group(pk) if pk is not None else LIST_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.poller = count_poller()
        if self.poller is not None:
            self.poller.listen()

    async def disconnect(self, code):
        if self.poller is not None:
            self.poller.leave()
            self.poller = None
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients only listen."""

    async def support_count(self, event):
        await self.send_json(
            {"proposal": event["proposal"], "count": event["count"], "identity_count": event["identity_count"]}
        )
