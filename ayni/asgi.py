"""ASGI entry point: HTTP through Django, websockets through Channels.

Two fast paths answer before Django's request handling (``ayni.fastpath``):
the WhatsApp webhook's acknowledgement (``chatbot.webhook.WebhookApp``) and
anonymous page hits of the page cache (``cms.cache.PageCacheApp``). Everything
else, and anything unusual on those paths, goes to Django unchanged.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings.dev")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from ayni.routing import websocket_urlpatterns  # noqa: E402
from chatbot.webhook import WebhookApp  # noqa: E402
from cms.cache import PageCacheApp  # noqa: E402

http_application = WebhookApp(PageCacheApp(django_asgi_app))

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
