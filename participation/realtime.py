"""Live support counts: channel-layer groups per proposal and for the list."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

LIST_GROUP = "participation.proposals"


def proposal_group(proposal_id: int) -> str:
    return f"participation.proposal.{proposal_id}"


def broadcast_support_count(*, proposal_id: int, count: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    event = {"type": "support.count", "proposal": proposal_id, "count": count}
    send = async_to_sync(layer.group_send)
    send(proposal_group(proposal_id), event)
    send(LIST_GROUP, event)
