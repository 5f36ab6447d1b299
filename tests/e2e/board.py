"""A board client for the end-to-end tests, behaving as the browser's should
(static/js/board-socket.js): it reconnects with jittered exponential backoff, to the next process
when one fails; on every (re)connection it resumes from its last seq; it keeps its ops until
acked and re-sends them with the same op_id after a resume, or after a retryable error
(`unavailable`, `rate_limited`); it applies events strictly in seq order and records anything the
server promised not to do (a gap or a duplicate once in sync, two acks of one op with different
seqs) as a violation."""

import asyncio
import contextlib
import itertools
import json
import random
import time

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

FATAL_CLOSE_CODES = {4401, 4404}
# As the board's socket: nothing changed on the server, send the same op again shortly.
RETRIED_CODES = {"unavailable", "rate_limited"}
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_MAX_SECONDS = 2.0
RETRY_SECONDS = 1.0


def backoff_delay(attempt: int, rng: random.Random) -> float:
    """Exponential in the failed attempts in a row, jittered to between half and one and a half
    times that, so that clients dropped together do not come back together."""
    base = min(BACKOFF_BASE_SECONDS * 2**attempt, BACKOFF_MAX_SECONDS)
    return base / 2 + rng.random() * base


async def wait_until(predicate, *, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)


class BoardClient:
    def __init__(
        self,
        name: str,
        token: str,
        map_id: int,
        ports: list[int],
        *,
        reconnect=True,
        keep_frames=True,
        seed: int | None = None,
    ):
        self.name = name
        self.token = token
        self.map_id = map_id
        self.ports = list(ports)
        self.reconnect = reconnect
        self.seq = 0
        self.events: list[dict] = []
        self.keep_frames = keep_frames
        self.received: list[str] = []  # every frame, as it came over the wire (if keep_frames)
        self.notes: dict[int, dict] = {}
        self.pending: dict[str, dict] = {}
        self.sent: list[str] = []  # op_ids, in the order the ops were made
        self.acks: dict[str, dict] = {}
        self.errors: list[dict] = []
        self.retried: list[dict] = []  # retryable errors; their ops stay pending
        self.answers: dict[str, list[str]] = {}  # op_id -> "ack" or error codes, in order
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
        self.rng = random.Random(seed if seed is not None else name)
        self.delays: list[float] = []  # every backoff waited, in seconds
        self.sending: set[asyncio.Task] = set()

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
        failures = 0  # sessions in a row that ended before they were in sync
        for session in itertools.count():
            self.port = self.ports[session % len(self.ports)]
            synced = await self.session(self.port)
            if self.stopping or not self.reconnect or self.close_codes[-1] in FATAL_CLOSE_CODES:
                return
            failures = 0 if synced else failures + 1
            delay = backoff_delay(failures, self.rng)
            self.delays.append(delay)
            await asyncio.sleep(delay)

    async def session(self, port: int) -> bool:
        """One connection, until it closes; whether it got in sync."""
        url = f"ws://127.0.0.1:{port}/ws/maps/{self.map_id}/"
        code = None
        synced = False
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
                        if self.keep_frames:
                            self.received.append(raw)
                        await self.handle(json.loads(raw))
                        synced = synced or self.in_sync
                finally:
                    code = ws.close_code
        except (OSError, TimeoutError, WebSocketException):
            pass
        finally:
            self.ws = None
            self.in_sync = False
            self.close_codes.append(code)
        return synced

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
            op_id = message["op_id"]
            self.answers.setdefault(op_id, []).append("ack")
            earlier = self.acks.get(op_id)
            if earlier is not None and earlier["seq"] != message["seq"]:
                self.violations.append(f"{op_id} acked at {earlier['seq']} and {message['seq']}")
            self.acks[op_id] = message
            self.pending.pop(op_id, None)
        elif kind == "error":
            op_id = message.get("op_id")
            self.answers.setdefault(op_id, []).append(message["code"])
            if message["code"] in RETRIED_CODES and op_id in self.pending:
                self.retried.append(message)
                asyncio.get_running_loop().call_later(
                    RETRY_SECONDS * (0.5 + self.rng.random()), self.send_again, op_id
                )
                return
            self.errors.append(message)
            self.pending.pop(op_id, None)
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

    def send_again(self, op_id: str) -> None:
        """A retryable refusal's op, sent again with its op_id, unless it was settled since or
        the socket is down (the next resume sends it then)."""
        op = self.pending.get(op_id)
        if op is None or self.ws is None or not self.in_sync:
            return
        task = asyncio.ensure_future(self.send_quietly(self.ws, op))
        self.sending.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self.sending.discard)

    async def send_quietly(self, ws, message: dict) -> None:
        with contextlib.suppress(WebSocketException):
            await ws.send(json.dumps(message))

    async def op(self, action: str, data: dict) -> str:
        op_id = f"{self.name}-{next(self.op_numbers)}"
        message = {"type": "op", "op_id": op_id, "action": action, "data": data}
        self.sent.append(op_id)
        self.pending[op_id] = message
        if self.ws is not None and self.in_sync:
            with contextlib.suppress(WebSocketException):  # else sent again after a resume
                await self.ws.send(json.dumps(message))
        return op_id

    async def op_then_drop(self, action: str, data: dict, applied) -> str:
        """Send an op and lose the socket between the op and its ack: reading stops before the
        op goes out, so its ack cannot be read; once `applied(op_id)` says the server applied
        it, the connection is aborted, the ack still unread. The client reconnects as after any
        drop and sends the op again, with its op_id."""
        ws = self.ws
        assert ws is not None and self.in_sync, f"{self.name} is not connected"
        ws.transport.pause_reading()
        op_id = await self.op(action, data)
        await wait_until(lambda: applied(op_id), what=f"{op_id} to be applied")
        ws.transport.abort()
        return op_id

    async def ack(self, op_id: str, timeout: float = 20.0) -> dict:
        await wait_until(lambda: op_id in self.acks, timeout=timeout, what=f"ack of {op_id}")
        return self.acks[op_id]

    def live_notes(self) -> dict[int, dict]:
        return {note_id: note for note_id, note in self.notes.items() if not note["deleted"]}


async def close_all(clients) -> None:
    """Close every tab, so that the servers' shutdown does not wait for their sockets."""
    await asyncio.gather(*(client.stop() for client in clients))


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
