"""Websocket routes of every app, collected in one place."""

websocket_urlpatterns: list = []

from participation.routing import websocket_urlpatterns as participation_websockets  # noqa: E402

websocket_urlpatterns += participation_websockets

from chatbot.routing import websocket_urlpatterns as chatbot_websockets  # noqa: E402

websocket_urlpatterns += chatbot_websockets
