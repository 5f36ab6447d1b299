"""Helpers for the websocket protocol tests (fixtures live in conftest.py)."""

import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.authtoken.models import Token

ORIGIN = b"http://127.0.0.1:8000"

# Committed data (on_commit fires; the consumer's database thread sees the rows). Naming the apps
# makes the flush between tests skip post_migrate, which halves these tests' time on PostgreSQL.
LIVE_DB = pytest.mark.django_db(
    transaction=True,
    available_apps=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "rest_framework.authtoken",
        "maps",
        "research",
    ],
)


def token_for(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def session_cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def seq_is(*seqs):
    """A predicate on layer messages: a map event with one of these seqs."""
    return lambda message: message.get("event", {}).get("seq") in seqs


class Socket:
    """A WebsocketCommunicator with the board protocol's vocabulary."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.connected = False
        self.welcome: dict | None = None

    async def send(self, message: dict) -> None:
        await self.communicator.send_json_to(message)

    async def op(self, action: str, data: dict, op_id: str) -> None:
        await self.send({"type": "op", "op_id": op_id, "action": action, "data": data})

    async def receive(self, timeout: float = 3) -> dict:
        return await self.communicator.receive_json_from(timeout)

    async def next(self, *types: str, timeout: float = 3) -> dict:
        """The next message of one of these types, skipping the others (presence, cursors)."""
        while True:
            message = await self.receive(timeout)
            if message["type"] in types:
                return message

    async def collect(self, count: int, *types: str, timeout: float = 3) -> list[dict]:
        return [await self.next(*types, timeout=timeout) for _ in range(count)]

    async def nothing(self, timeout: float = 0.2) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def nothing_but(self, *types: str, timeout: float = 0.3) -> bool:
        """Nothing arrives within `timeout` but messages of these types (presence, say, which
        is coalesced per map and may come a moment after the events)."""
        while not await self.communicator.receive_nothing(timeout):
            message = await self.receive(timeout)
            if message["type"] not in types:
                return False
        return True

    async def close_code(self, timeout: float = 3) -> int | None:
        """The code the server closed with (skipping messages sent before the close)."""
        while True:
            output = await self.communicator.receive_output(timeout)
            if output["type"] == "websocket.close":
                return output.get("code")
