"""Websocket routes of every app, collected in one place."""

from chatbot.routing import websocket_urlpatterns as chatbot_websockets
from participation.routing import websocket_urlpatterns as participation_websockets

websocket_urlpatterns: list = [*participation_websockets, *chatbot_websockets]
