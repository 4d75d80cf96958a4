"""/ws/chat/ through Channels' WebsocketCommunicator (async code driven from sync tests)."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from ayni.asgi import application

pytestmark = pytest.mark.django_db


async def _connect():
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://127.0.0.1")])
    connected, _ = await communicator.connect()
    assert connected
    return communicator


def test_websocket_answers_like_the_api():
    async_to_sync(_answers_like_the_api)()


async def _answers_like_the_api():
    communicator = await _connect()
    await communicator.send_json_to({"text": "cuanto cuesta el catastro"})
    answer = await communicator.receive_json_from(timeout=30)
    assert answer["guide"]["slug"] == "certificado-catastral"
    assert answer["engine"] == "fallback"
    assert answer["guide"]["url"].startswith("http")  # absolute even without an HTTP request
    # Same connection, same conversation: a follow-up works.
    await communicator.send_json_to({"text": "¿y cuánto tarda?"})
    follow = await communicator.receive_json_from(timeout=30)
    assert follow["guide"]["slug"] == "certificado-catastral"
    assert "5 días hábiles" in follow["replies"][0]["text"]
    await communicator.disconnect()


def test_websocket_rejects_bad_frames_politely():
    async_to_sync(_rejects_bad_frames)()


async def _rejects_bad_frames():
    communicator = await _connect()
    await communicator.send_to(text_data="no es json")
    assert "no válido" in (await communicator.receive_json_from(timeout=10))["error"]
    await communicator.send_json_to({"text": "x" * 5001})
    assert "demasiado largo" in (await communicator.receive_json_from(timeout=10))["error"]
    await communicator.disconnect()
