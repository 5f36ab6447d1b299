"""ASGI entry point: HTTP through Django, websockets through Channels (see maps/routing.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "empathymap.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from empathymap import websocket_speedups  # noqa: E402
from empathymap.asgi_limits import RequestBodyLimit  # noqa: E402
from maps.routing import websocket_urlpatterns  # noqa: E402
from maps.websocket_auth import websocket_stack  # noqa: E402

websocket_speedups.apply()

application = ProtocolTypeRouter(
    {
        "http": RequestBodyLimit(django_asgi_app),
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
