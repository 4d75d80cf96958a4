"""Websocket routes of every app, collected in one place."""

websocket_urlpatterns: list = []
