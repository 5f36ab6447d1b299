"""Websocket protocol tests: Channels' WebsocketCommunicator against the full ASGI stack (origin
check, session and token auth, routing), with committed data (see support.LIVE_DB)."""

import copy
import uuid

import pytest
from channels.testing import WebsocketCommunicator

from empathymap.asgi import application
from maps import presence
from tests.ws.support import ORIGIN, Socket, token_for


@pytest.fixture(autouse=True)
def _websocket_settings(settings):
    """DEBUG off (the origin rule must hold there), and a channel layer of this test's own."""
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if settings.REDIS_URL:
        layers["default"]["CONFIG"]["prefix"] = f"test{uuid.uuid4().hex[:12]}"
    settings.CHANNEL_LAYERS = layers
    presence._memory_presence.maps.clear()


@pytest.fixture
async def open_socket():
    """open_socket(map_id, token=..., cookie=..., origin=..., query=...) -> Socket, welcomed
    unless refused.

    Every socket is disconnected at the end of the test."""
    sockets = []

    async def open_(map_id, *, token=None, cookie=None, origin=ORIGIN, welcome=True, query=""):
        headers = []
        if origin:
            headers.append((b"origin", origin))
        if token:
            headers.append((b"authorization", f"Token {token}".encode()))
        if cookie:
            headers.append((b"cookie", cookie))
        path = f"/ws/maps/{map_id}/" + (f"?{query}" if query else "")
        communicator = WebsocketCommunicator(application, path, headers=headers)
        socket = Socket(communicator)
        sockets.append(socket)
        socket.connected, _ = await communicator.connect(timeout=3)
        if welcome:
            assert socket.connected
            socket.welcome = await socket.receive()
            assert socket.welcome["type"] == "welcome", socket.welcome
        return socket

    yield open_
    for socket in sockets:
        await socket.communicator.disconnect(timeout=3)
    store = presence.get_presence()
    if isinstance(store, presence.RedisPresence):
        await store.close()


@pytest.fixture
def tokens(team) -> dict[str, str]:
    return {name: token_for(user) for name, user in team.items()}


@pytest.fixture
def sent_to_layer(monkeypatch):
    """Control over what the services broadcast: `drop` predicates lose matching messages (as a
    full channels_redis channel would); with `hold` set, messages wait in `held` for the test."""
    from maps import events

    real_send_to_group = events.send_to_group

    class Layer:
        def __init__(self):
            self.drop = []
            self.hold = False
            self.held = []

        def send(self, group, message):
            if any(rule(message) for rule in self.drop):
                return
            if self.hold:
                self.held.append((group, message))
                return
            real_send_to_group(group, message)

    layer = Layer()
    monkeypatch.setattr(events, "send_to_group", layer.send)
    return layer
