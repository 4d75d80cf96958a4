from django.urls import path

from participation.consumers import SupportCountConsumer

websocket_urlpatterns = [
    path("ws/participa/propuestas/", SupportCountConsumer.as_asgi()),
    path("ws/participa/propuestas/<int:pk>/", SupportCountConsumer.as_asgi()),
]
