"""A board client for the end-to-end tests, behaving as the browser's should: on every
(re)connection it resumes from its last seq; it keeps its ops until acked and re-sends them with
the same op_id after a resume; it applies events strictly in seq order and records anything the
server promised not to do (a gap or a duplicate once in sync) as a violation."""

import asyncio
import contextlib
import itertools
import json
import time

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

FATAL_CLOSE_CODES = {4401, 4404}


async def wait_until(predicate, *, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


class BoardClient:
    def __init__(self, name: str, token: str, map_id: int, ports: list[int], *, reconnect=True):
        self.name = name
        self.token = token
        self.map_id = map_id
        self.ports = list(ports)
        self.reconnect = reconnect
        self.seq = 0
        self.events: list[dict] = []
        self.received: list[str] = []  # every frame, as it came over the wire
        self.notes: dict[int, dict] = {}
        self.pending: dict[str, dict] = {}
        self.acks: dict[str, dict] = {}
        self.errors: list[dict] = []
        self.violations: list[str] = []
        self.presence: set[str] = set()
        self.close_codes: list[int | None] = []
        self.connections = 0
        self.port: int | None = None
        self.in_sync = False
        self.stopping = False
        self.ws = None
        self.task: asyncio.Task | None = None
        self.op_numbers = itertools.count(1)

    def __repr__(self) -> str:
        return f"<{self.name} seq={self.seq} pending={len(self.pending)} port={self.port}>"

    async def start(self) -> "BoardClient":
        self.task = asyncio.create_task(self.run())
        await wait_until(lambda: self.in_sync, what=f"{self.name} to connect")
        return self

    async def stop(self) -> None:
        """Close the tab."""
        self.stopping = True
        if self.ws is not None:
            await self.ws.close()
        if self.task is not None:
            await asyncio.wait_for(self.task, timeout=5)

    async def run(self) -> None:
        for attempt in itertools.count():
            self.port = self.ports[attempt % len(self.ports)]
            await self.session(self.port)
            if self.stopping or not self.reconnect or self.close_codes[-1] in FATAL_CLOSE_CODES:
                return
            await asyncio.sleep(min(0.05 * (attempt + 1), 0.5))

    async def session(self, port: int) -> None:
        url = f"ws://127.0.0.1:{port}/ws/maps/{self.map_id}/"
        code = None
        try:
            async with connect(
                url,
                origin=f"http://127.0.0.1:{port}",
                additional_headers={"Authorization": f"Token {self.token}"},
                open_timeout=5,
                close_timeout=2,
                max_size=None,
            ) as ws:
                self.ws = ws
                self.connections += 1
                await ws.send(json.dumps({"type": "resume", "since": self.seq}))
                try:
                    async for raw in ws:
                        self.received.append(raw)
                        await self.handle(json.loads(raw))
                finally:
                    code = ws.close_code
        except (OSError, TimeoutError, WebSocketException):
            pass
        finally:
            self.ws = None
            self.in_sync = False
            self.close_codes.append(code)

    async def handle(self, message: dict) -> None:
        kind = message["type"]
        if kind == "event":
            self.apply(message)
        elif kind == "resumed":
            if message["seq"] != self.seq:
                self.violations.append(f"resumed at {message['seq']} with {self.seq} applied")
            self.in_sync = True
            for op in list(self.pending.values()):
                await self.ws.send(json.dumps(op))
        elif kind == "ack":
            self.acks[message["op_id"]] = message
            self.pending.pop(message["op_id"], None)
        elif kind == "error":
            self.errors.append(message)
            self.pending.pop(message.get("op_id"), None)
        elif kind == "welcome":
            self.presence = {user["username"] for user in message["presence"]}
        elif kind == "presence":
            self.presence = {user["username"] for user in message["users"]}

    def apply(self, event: dict) -> None:
        seq = event["seq"]
        if seq != self.seq + 1:
            # Before `resumed` the replay brings everything in order; after it, never.
            if self.in_sync:
                self.violations.append(f"event {seq} after {self.seq}")
            return
        self.seq = seq
        self.events.append(event)
        if event.get("note"):
            self.notes[event["note"]["id"]] = event["note"]

    async def op(self, action: str, data: dict) -> str:
        op_id = f"{self.name}-{next(self.op_numbers)}"
        message = {"type": "op", "op_id": op_id, "action": action, "data": data}
        self.pending[op_id] = message
        if self.ws is not None and self.in_sync:
            with contextlib.suppress(WebSocketException):  # else sent again after a resume
                await self.ws.send(json.dumps(message))
        return op_id

    async def ack(self, op_id: str, timeout: float = 20.0) -> dict:
        await wait_until(lambda: op_id in self.acks, timeout=timeout, what=f"ack of {op_id}")
        return self.acks[op_id]

    def live_notes(self) -> dict[int, dict]:
        return {note_id: note for note_id, note in self.notes.items() if not note["deleted"]}


async def assert_converged(cluster, port: int, map_id: int, clients, *, timeout=30.0) -> dict:
    """Every op acked, every client at the database's seq with the same events and notes."""
    await wait_until(
        lambda: not any(client.pending for client in clients), timeout=timeout, what="acks"
    )
    state = await asyncio.to_thread(cluster.map_state, port, map_id)
    await wait_until(
        lambda: all(client.seq == state["seq"] for client in clients),
        timeout=timeout,
        what=f"every client at seq {state['seq']}: {clients}",
    )
    stored = {note["id"]: shared_part(note) for note in state["notes"]}
    for client in clients:
        assert client.violations == [], client.name
        assert client.errors == [], client.name
        assert [event["seq"] for event in client.events] == list(range(1, state["seq"] + 1))
        assert client.events == clients[0].events
        live = {note_id: shared_part(note) for note_id, note in client.live_notes().items()}
        assert live == stored, client.name
    return state


def shared_part(note: dict) -> dict:
    """A note without the reader's own stance and votes (`mine`: null in events, the caller's
    in GET), which differ by reader by design."""
    return {
        **note,
        "agreement": {**note["agreement"], "mine": None},
        "votes": {**note["votes"], "mine": None},
    }
