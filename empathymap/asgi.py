"""ASGI entry point: HTTP through Django, websockets through Channels (see maps/routing.py)."""

import gc
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

# What is loaded by now (Django, the apps, their modules) lives as long as the process: keep it
# out of the collector's full passes, which would otherwise walk it again and again while a
# crowded board allocates (a pause of every socket of the process each time).
gc.freeze()
