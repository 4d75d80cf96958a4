"""Live support counts over websockets (in-memory layer; channels-redis when REDIS_URL is set)."""

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from ayni.asgi import application
from ayni.routing import websocket_urlpatterns
from participation import services
from participation.routing import websocket_urlpatterns as participation_routes

pytestmark = pytest.mark.django_db

ORIGIN = [(b"origin", b"http://localhost")]


def test_the_layer_in_use_matches_the_environment():
    expected = "channels_redis.core.RedisChannelLayer" if settings.REDIS_URL else "channels.layers.InMemoryChannelLayer"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == expected


def test_the_routes_are_in_the_project_routing():
    assert all(route in websocket_urlpatterns for route in participation_routes)


# Consumers close "old" database connections on every message (channels >= 4.2),
# which would end a test wrapped in a transaction: this one commits for real.
@pytest.mark.django_db(transaction=True)
def test_supports_are_pushed_to_the_proposal_page_and_the_list(make_proposal, make_resident):
    proposal, other = make_proposal(), make_proposal(title="Otra propuesta")
    supporter = make_resident()  # a verified resident: the identity-level count moves too

    def support():
        services.proposal_support(proposal=proposal, user=supporter)

    def withdraw():
        services.proposal_withdraw_support(proposal=proposal, user=supporter)

    async def scenario():
        page = WebsocketCommunicator(application, f"/ws/participa/propuestas/{proposal.pk}/", headers=ORIGIN)
        other_page = WebsocketCommunicator(application, f"/ws/participa/propuestas/{other.pk}/", headers=ORIGIN)
        listing = WebsocketCommunicator(application, "/ws/participa/propuestas/", headers=ORIGIN)
        for communicator in (page, other_page, listing):
            connected, _ = await communicator.connect()
            assert connected
        await sync_to_async(support)()
        assert await page.receive_json_from(timeout=5) == {"proposal": proposal.pk, "count": 1, "identity_count": 1}
        assert await listing.receive_json_from(timeout=5) == {"proposal": proposal.pk, "count": 1, "identity_count": 1}
        await sync_to_async(withdraw)()
        assert await page.receive_json_from(timeout=5) == {"proposal": proposal.pk, "count": 0, "identity_count": 0}
        assert await other_page.receive_nothing(timeout=0.3)
        # Clients only listen: what they send changes nothing.
        await page.send_json_to({"count": 999})
        assert await page.receive_nothing(timeout=0.2)
        for communicator in (page, other_page, listing):
            await communicator.disconnect()

    async_to_sync(scenario)()


def test_the_project_application_accepts_its_own_origin_only():
    async def connects(origin: bytes) -> bool:
        communicator = WebsocketCommunicator(application, "/ws/participa/propuestas/", headers=[(b"origin", origin)])
        connected, _ = await communicator.connect()
        if connected:
            await communicator.disconnect()
        return connected

    assert async_to_sync(connects)(b"http://localhost") is True
    assert async_to_sync(connects)(b"http://malicioso.example") is False
