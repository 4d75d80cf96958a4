"""/ws/chat/ answers bad frames with a Spanish error and stays open, and limits each client (issue 9).

Before: a NUL, a binary frame or 10,000 nested brackets closed the socket with
1011 (an exception in the consumer), and a client could send without limit.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from ayni.asgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rasa(rasa_down):
    """Answers come from the fallback, on the test's thread."""


async def _connect(client=("198.51.100.7", 50000), user_agent=b"test"):
    communicator = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1"), (b"user-agent", user_agent)]
    )
    communicator.scope["client"] = client
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def _still_open(communicator) -> None:
    """The conversation goes on after an error: a (cheap) invalid message gets its own answer."""
    await communicator.send_json_to({"text": 5})
    assert "no válido" in (await communicator.receive_json_from(timeout=10))["error"]


BAD_FRAMES = {
    "binary": {"bytes_data": b"\x00\x01\x02"},
    "raw NUL": {"text_data": '{"text": "hola\x00"}'},
    "escaped NUL": {"text_data": '{"text": "hola\\u0000 catastro"}'},
    "10k nested brackets": {"text_data": "[" * 10_000 + "]" * 10_000},
    "10k nested objects": {"text_data": '{"text": ' * 10_000 + '"x"' + "}" * 10_000},
    "100 nested lists": {"text_data": '{"text": "x", "y": ' + "[" * 100 + "]" * 100 + "}"},
    "NaN": {"text_data": '{"text": NaN}'},
    "oversized frame": {"text_data": '{"text": "' + "x" * 200_000 + '"}'},
    "not an object": {"text_data": "[1, 2]"},
}


@pytest.mark.parametrize("case", sorted(BAD_FRAMES))
def test_bad_frames_get_a_spanish_error_and_the_socket_stays_open(case):
    # (No database check afterwards: Channels closes the test's connection on PostgreSQL.)
    async_to_sync(_bad_frame)(BAD_FRAMES[case])


async def _bad_frame(frame):
    communicator = await _connect()
    await communicator.send_to(**frame)
    answer = await communicator.receive_json_from(timeout=10)
    assert set(answer) == {"error"} and answer["error"]
    await _still_open(communicator)
    await communicator.disconnect()


def test_messages_are_limited_per_client_whatever_the_connection_or_user_agent(settings):
    settings.AYNI_CHAT_RATE = (3, 60)
    async_to_sync(_rate_limited)()


async def _rate_limited():
    first = await _connect(user_agent=b"one")
    for _ in range(3):
        await first.send_json_to({"text": 5})
        assert "no válido" in (await first.receive_json_from(timeout=10))["error"]
    await first.send_json_to({"text": "hola"})
    assert "Demasiados mensajes" in (await first.receive_json_from(timeout=10))["error"]
    # A new connection with another User-Agent is the same client: still limited.
    second = await _connect(user_agent=b"two")
    await second.send_json_to({"text": "hola"})
    assert "Demasiados mensajes" in (await second.receive_json_from(timeout=10))["error"]
    # Another client is not.
    other = await _connect(client=("203.0.113.9", 50001))
    await other.send_json_to({"text": 5})
    assert "no válido" in (await other.receive_json_from(timeout=10))["error"]
    for communicator in (first, second, other):
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)  # the consumer closes the thread's connection (Channels), as in production
def test_tracking_lookups_count_against_the_client_across_connections(settings):
    """Each connection is a new conversation (a new sender): the client's lookup limit must still hold."""
    settings.AYNI_PARTICIPATION_RATES = {**settings.AYNI_PARTICIPATION_RATES, "tracking": (2, 600)}
    async_to_sync(_tracking_limited)()


async def _tracking_limited():
    answers = []
    for _ in range(3):
        communicator = await _connect(client=("198.51.100.8", 50002))
        await communicator.send_json_to({"text": "estado de mi reclamo RC-7K4MX-2Q9PA"})
        answers.append(" ".join(r["text"] for r in (await communicator.receive_json_from(timeout=30))["replies"]))
        await communicator.disconnect()
    assert "demasiadas consultas" not in answers[0]
    assert "demasiadas consultas" in answers[2]
