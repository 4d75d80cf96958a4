"""Live support counts: channel-layer groups per proposal and for the list.

Across the web server's worker processes (ayni.server) a count reaches every
open page two ways:

- With ``REDIS_URL`` the channel layer is channels-redis: a support saved by
  any process is broadcast to the groups of every process.
- On the embedded default the channel layer is in memory, one per process, so
  a broadcast only reaches the pages connected to the process that saved the
  support. Every process that holds at least one live-count websocket also
  re-reads the counts from the database every ``LIVE_COUNTS_POLL_SECONDS``
  (one query per process, whatever the number of open pages) and broadcasts
  the ones that changed to its own groups. Supports saved by another worker, by
  the task worker or by the admin reach the page within that interval.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings

logger = logging.getLogger(__name__)

LIST_GROUP = "participation.proposals"


def proposal_group(proposal_id: int) -> str:
    return f"participation.proposal.{proposal_id}"


def _event(proposal_id: int, count: int, identity_count: int) -> dict:
    """Every support, and those of residents whose identity the provider proved."""
    return {"type": "support.count", "proposal": proposal_id, "count": count, "identity_count": identity_count}


def broadcast_support_count(*, proposal_id: int, count: int, identity_count: int) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    groups = (proposal_group(proposal_id), LIST_GROUP)
    if isinstance(layer, InMemoryChannelLayer) and not any(layer.groups.get(group) for group in groups):
        return  # nobody listens in this process (pages on other processes poll): no trip into an event loop
    event = _event(proposal_id, count, identity_count)

    async def send_both() -> None:  # one trip into the event loop for both groups
        await layer.group_send(proposal_group(proposal_id), event)
        await layer.group_send(LIST_GROUP, event)

    async_to_sync(send_both)()


class CountPoller:
    """One per process and event loop: re-reads the counts while pages are listening."""

    def __init__(self, interval: float):
        self.interval = interval
        self.listeners = 0
        self.task: asyncio.Task | None = None

    def listen(self) -> None:
        self.listeners += 1
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def leave(self) -> None:
        self.listeners = max(0, self.listeners - 1)
        if self.listeners == 0 and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        from participation import selectors

        read = database_sync_to_async(selectors.support_counts)
        known: dict[int, tuple[int, int]] | None = None
        while True:
            try:
                counts = await read()
            except Exception:  # the database is busy or gone for a moment: try again next round
                logger.warning("live counts: could not read the support counts", exc_info=True)
            else:
                if known is not None:
                    await self._send_changes(known, counts)
                known = counts
            await asyncio.sleep(self.interval)

    @staticmethod
    async def _send_changes(known: dict[int, tuple[int, int]], counts: dict[int, tuple[int, int]]) -> None:
        layer = get_channel_layer()
        for proposal_id, (count, identity_count) in counts.items():
            if known.get(proposal_id) != (count, identity_count):
                event = _event(proposal_id, count, identity_count)
                await layer.group_send(proposal_group(proposal_id), event)
                await layer.group_send(LIST_GROUP, event)


_pollers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CountPoller] = weakref.WeakKeyDictionary()


def count_poller() -> CountPoller | None:
    """This loop's poller, or None where the channel layer is shared between processes."""
    interval = settings.LIVE_COUNTS_POLL_SECONDS
    if not interval:
        return None
    loop = asyncio.get_running_loop()
    poller = _pollers.get(loop)
    if poller is None:
        poller = _pollers[loop] = CountPoller(interval)
    return poller
