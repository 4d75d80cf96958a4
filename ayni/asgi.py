"""ASGI entry point: HTTP through Django, websockets through Channels.

Django's HTTP handling runs as one synchronous call per request on a pool of
threads per process (``ayni.handler.PooledASGIHandler``: as many threads as
the database pool has connections), instead of Django's ``ASGIHandler`` and
its thread per request. Two fast paths answer before Django (``ayni.fastpath``):
the WhatsApp webhook's acknowledgement (``chatbot.webhook.WebhookApp``) and
anonymous page hits of the page cache (``cms.cache.PageCacheApp``). Everything
else, and anything unusual on those paths, goes to Django unchanged.
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ayni.settings.dev")
django.setup(set_prefix=False)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from ayni.handler import PooledASGIHandler  # noqa: E402
from ayni.routing import websocket_urlpatterns  # noqa: E402
from chatbot.webhook import WebhookApp  # noqa: E402
from cms.cache import PageCacheApp  # noqa: E402

# Each thread may hold one of the process's database connections (ayni.settings.database).
HTTP_THREADS = getattr(settings, "DATABASE_POOL_MAX_SIZE", 0) or 8

django_asgi_app = PooledASGIHandler(threads=HTTP_THREADS)
http_application = WebhookApp(PageCacheApp(django_asgi_app))

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
