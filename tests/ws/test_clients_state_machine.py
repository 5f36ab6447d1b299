"""A hypothesis state machine over two to four clients of one map, in process: random ops
(create, edit, move, delete notes; stances; dot votes; comments), clients that disconnect (some
with an op sent and its ack never read) and reconnect with `resume`, and ops sent again with
the same op_id after a reconnect or after their ack.

After every step, every connected client's view of the notes, built only from the events it
received (a first `resume` from 0, then live events), equals the database's notes; each
connection's events come gap-free in seq order, never twice; and no op_id is ever applied
twice. Derandomized (a fixed seed, no example database), with bounded examples, so a CI run
tries the same sequences every time: STATE_MACHINE_EXAMPLES x STATE_MACHINE_STEPS."""

import asyncio
import itertools
import os

from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from empathymap.asgi import application
from maps import presence, selectors
from maps.db_threads import database_sync_to_async as board_db
from maps.models import EmpathyMap, MapEvent, Membership, Role
from maps.workshop import services as workshop
from tests.factories import MapFactory, UserFactory
from tests.ws.support import LIVE_DB, ORIGIN, token_for

pytestmark = LIVE_DB

EXAMPLES = int(os.environ.get("STATE_MACHINE_EXAMPLES", "15"))
STEPS = int(os.environ.get("STATE_MACHINE_STEPS", "25"))
WAIT = 5  # seconds for a message that must come: reached only when something is lost
SECTIONS = ["says", "thinks", "does", "feels"]
TEXTS = st.sampled_from(["Pays late", "Wants receipts", "Counts twice", "Calls support", "ü ✓"])
op_numbers = itertools.count(1)
# Shrinking a failure can take minutes: off unless asked for (a failure still prints its steps).
PHASES = (
    [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink]
    if os.environ.get("STATE_MACHINE_SHRINK")
    else [Phase.explicit, Phase.reuse, Phase.generate]
)


# Database reads and writes of the test itself run on the board's database threads, like the
# consumers' own: on SQLite (one such thread) they queue behind an op still being applied.


def new_map(lead) -> int:
    empathy_map = MapFactory(workspace=Membership.objects.get(user=lead).workspace)
    workshop.map_vote_configure(actor=lead, map_id=empathy_map.pk, open=True, per_person=20)
    return empathy_map.pk


def events_of(map_id: int, op_id: str | None = None) -> int:
    events = MapEvent.objects.filter(map_id=map_id)
    return events.filter(op_id=op_id).count() if op_id else events.count()


def database_notes(map_id: int) -> tuple[int, dict[int, dict]]:
    """The map's seq and live notes, read together: an op of a closed socket may still commit
    while we read, and every change bumps the seq, so read again until the seq did not move."""
    while True:
        seq = EmpathyMap.objects.get(pk=map_id).seq
        # The notes as every member sees them (no viewer: what events carry), in bulk.
        empathy_map = EmpathyMap.objects.select_related("workspace").get(pk=map_id)
        notes = {note["id"]: note for note in selectors.map_notes(empathy_map=empathy_map)}
        if EmpathyMap.objects.get(pk=map_id).seq == seq:
            return seq, notes


def seqs_of(map_id: int) -> list[int]:
    return list(MapEvent.objects.filter(map_id=map_id).values_list("seq", flat=True))


def distinct_ops(map_id: int, op_ids: set[str]) -> tuple[int, int]:
    events = MapEvent.objects.filter(map_id=map_id, op_id__in=op_ids)
    return events.count(), events.values("op_id").distinct().count()


async def drop(socket: WebsocketCommunicator) -> None:
    """The line drops (1006): the server learns of it and cleans up in the background, as it
    would; what is left of its consumers is cancelled when the test ends."""
    await socket.send_input({"type": "websocket.disconnect", "code": 1006})


class Client:
    """One browser tab: a socket, the notes it knows, its last seq, its ops in flight."""

    def __init__(self, user, token: str):
        self.user = user
        self.token = token
        self.socket: WebsocketCommunicator | None = None
        self.seq = 0  # the last event applied; 0: nothing yet (the first resume asks for all)
        self.notes: dict[int, dict] = {}
        self.replies: dict[str, dict] = {}  # op_id -> ack or error
        self.unanswered: dict[str, tuple[str, dict]] = {}  # sent, reply not read: resent later
        self.answered: dict[str, tuple[str, dict]] = {}
        # Between a (re)connection's welcome and its `resumed`, a live event may come before the
        # catch-up sends it again: the client keeps the one that follows its seq, as the board.
        self.resuming = False

    @property
    def connected(self) -> bool:
        return self.socket is not None

    def take(self, message: dict) -> None:
        kind = message["type"]
        if kind == "event":
            if self.resuming and message["seq"] != self.seq + 1:
                return
            assert message["seq"] == self.seq + 1, (
                f"{self.user.username} got seq {message['seq']} after {self.seq}"
            )
            self.seq = message["seq"]
            note = message.get("note")
            if isinstance(note, dict) and "text" in note:
                if note.get("deleted"):
                    self.notes.pop(note["id"], None)
                else:
                    self.notes[note["id"]] = note
        elif kind in ("ack", "error") and message.get("op_id"):
            self.replies[message["op_id"]] = message
        elif kind == "resumed":
            assert message["seq"] == self.seq, (message, self.seq)
            self.replies["resumed"] = message
            self.resuming = False

    async def next(self) -> dict:
        message = await self.socket.receive_json_from(WAIT)
        self.take(message)
        return message

    async def until(self, condition) -> None:
        while not condition():
            await self.next()

    async def drain(self) -> None:
        """Whatever has arrived, without waiting for more."""
        while not await self.socket.receive_nothing(0.01):
            await self.next()


class ClientsOnOneMap(RuleBasedStateMachine):
    """Set up by `machine_for` with the test's event loop and users."""

    loop: asyncio.AbstractEventLoop
    users: list

    def __init__(self):
        super().__init__()
        self.map_id: int | None = None
        self.clients: list[Client] = []

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    # Setup ------------------------------------------------------------------------------------

    @initialize(count=st.integers(min_value=2, max_value=4))
    def start(self, count):
        self.map_id = self.run(board_db(new_map)(self.users[0]))
        for number in range(count):
            user = self.users[number % len(self.users)]
            client = Client(user, token_for(user))
            self.clients.append(client)
            self.run(self.connect(client))
        # Two notes to start from, so that edits, moves, stances and votes have something to act on.
        for section in ("says", "feels"):
            self.op(0, "note.create", {"section": section, "text": "Starts here"})

    async def connect(self, client: Client) -> None:
        socket = WebsocketCommunicator(
            application,
            f"/ws/maps/{self.map_id}/",
            headers=[(b"origin", ORIGIN), (b"authorization", f"Token {client.token}".encode())],
        )
        connected, _ = await socket.connect(timeout=WAIT)
        assert connected
        welcome = await socket.receive_json_from(WAIT)
        assert welcome["type"] == "welcome", welcome
        client.socket = socket
        client.replies.pop("resumed", None)
        client.resuming = True
        await socket.send_json_to({"type": "resume", "since": client.seq})
        await client.until(lambda: "resumed" in client.replies)
        # Ops whose reply was never read are sent again, as the board does after a reconnect.
        for op_id, (action, data) in list(client.unanswered.items()):
            await self.send(client, action, data, op_id=op_id)

    # Ops --------------------------------------------------------------------------------------

    def connected(self) -> list[Client]:
        return [client for client in self.clients if client.connected]

    def someone_connected(self) -> bool:
        return self.map_id is not None and bool(self.connected())

    def pick(self, choice: int) -> Client:
        clients = self.connected()
        return clients[choice % len(clients)]

    async def send(self, client: Client, action: str, data: dict, *, op_id=None) -> dict:
        op_id = op_id or f"op-{next(op_numbers)}"
        client.unanswered[op_id] = (action, data)
        client.replies.pop(op_id, None)
        message = {"type": "op", "op_id": op_id, "action": action, "data": data}
        await client.socket.send_json_to(message)
        await client.until(lambda: op_id in client.replies)
        reply = client.replies[op_id]
        del client.unanswered[op_id]
        client.answered[op_id] = (action, data)
        if reply["type"] == "error":
            # Refused ops change nothing; these refusals are the expected ones in this game.
            assert reply["code"] in ("conflict", "not_found", "invalid"), reply
            assert await board_db(events_of)(self.map_id, op_id) == 0
        return reply

    def op(self, choice: int, action: str, data: dict) -> None:
        client = self.pick(choice)
        self.run(self.send(client, action, data))

    def note_of(self, client: Client, index: int) -> dict | None:
        notes = sorted(client.notes.values(), key=lambda note: note["id"])
        return notes[index % len(notes)] if notes else None

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), section=st.sampled_from(SECTIONS), text=TEXTS)
    def create_note(self, choice, section, text):
        self.op(choice, "note.create", {"section": section, "text": text})

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), index=st.integers(0, 20), text=TEXTS, stale=st.booleans())
    def edit_note(self, choice, index, text, stale):
        note = self.note_of(self.pick(choice), index)
        if note is not None:
            version = note["version"] - 1 if stale and note["version"] > 1 else note["version"]
            data = {"id": note["id"], "version": version, "text": text}
            self.op(choice, "note.update", data)

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), index=st.integers(0, 20), section=st.sampled_from(SECTIONS))
    def move_note(self, choice, index, section):
        note = self.note_of(self.pick(choice), index)
        if note is not None:
            self.op(choice, "note.update", {"id": note["id"], "section": section})

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), index=st.integers(0, 20))
    def delete_note(self, choice, index):
        note = self.note_of(self.pick(choice), index)
        if note is not None:
            self.op(choice, "note.delete", {"id": note["id"], "version": note["version"]})

    @precondition(someone_connected)
    @rule(
        choice=st.integers(0, 3),
        index=st.integers(0, 20),
        stance=st.sampled_from(["agree", "disagree", None]),
    )
    def take_a_stance(self, choice, index, stance):
        note = self.note_of(self.pick(choice), index)
        if note is not None:
            self.op(choice, "note.stance", {"id": note["id"], "stance": stance})

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), index=st.integers(0, 20), back=st.booleans())
    def vote(self, choice, index, back):
        note = self.note_of(self.pick(choice), index)
        if note is not None:
            self.op(choice, "note.unvote" if back else "note.vote", {"id": note["id"]})

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), index=st.integers(0, 20), text=TEXTS)
    def comment(self, choice, index, text):
        note = self.note_of(self.pick(choice), index)
        if note is not None:
            self.op(choice, "comment.create", {"note": note["id"], "text": text})

    @precondition(lambda self: any(client.answered for client in self.connected()))
    @rule(choice=st.integers(0, 3), which=st.integers(0, 1000))
    def send_an_answered_op_again(self, choice, which):
        """The same op_id again (a client that never saw its ack): applied once, acked again."""
        clients = [client for client in self.connected() if client.answered]
        client = clients[choice % len(clients)]
        op_ids = sorted(client.answered)
        op_id = op_ids[which % len(op_ids)]
        action, data = client.answered[op_id]
        first = client.replies[op_id]
        count = board_db(events_of)
        events_before = self.run(count(self.map_id))
        again = self.run(self.send(client, action, data, op_id=op_id))
        applied = self.run(count(self.map_id, op_id))
        assert applied <= 1
        if first["type"] == "ack" and applied:
            assert (again["type"], again["seq"]) == ("ack", first["seq"])
            assert self.run(count(self.map_id)) == events_before

    # Connections ------------------------------------------------------------------------------

    def close(self, choice: int, *, mid_op: dict | None = None) -> None:
        """Close a socket; with mid_op, right after sending that new note, its ack never read."""
        client = self.pick(choice)

        async def close():
            if mid_op is not None:
                op_id = f"op-{next(op_numbers)}"
                client.unanswered[op_id] = ("note.create", mid_op)
                message = {"type": "op", "op_id": op_id, "action": "note.create", "data": mid_op}
                await client.socket.send_json_to(message)
            await drop(client.socket)

        self.run(close())
        client.socket = None

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3))
    def disconnect(self, choice):
        self.close(choice)

    @precondition(someone_connected)
    @rule(choice=st.integers(0, 3), section=st.sampled_from(SECTIONS))
    def drop_the_line_between_op_and_ack(self, choice, section):
        self.close(choice, mid_op={"section": section, "text": "Sent as the line dropped"})

    @precondition(lambda self: any(not client.connected for client in self.clients))
    @rule(choice=st.integers(0, 3))
    def reconnect(self, choice):
        away = [client for client in self.clients if not client.connected]
        self.run(self.connect(away[choice % len(away)]))

    # What must always hold ---------------------------------------------------------------------

    async def everyone_reaches(self, seq: int) -> None:
        for client in self.connected():
            await client.until(lambda client=client: client.seq >= seq)

    @invariant()
    def every_connected_client_sees_the_database(self):
        if self.map_id is None:
            return
        while True:
            seq, notes = self.run(board_db(database_notes)(self.map_id))
            self.run(self.everyone_reaches(seq))
            if all(client.seq == seq for client in self.connected()):
                break  # else an op of a closed socket committed meanwhile: read again
        for client in self.connected():
            assert client.notes == notes, client.user.username
        assert self.run(board_db(seqs_of)(self.map_id)) == list(range(1, seq + 1))

    def teardown(self):
        try:
            if self.map_id is not None:
                for client in self.clients:
                    if not client.connected:
                        self.run(self.connect(client))
                self.every_connected_client_sees_the_database()
                sent = {op_id for client in self.clients for op_id in client.answered}
                events, ops = self.run(board_db(distinct_ops)(self.map_id, sent))
                assert events == ops  # no op_id applied twice
                assert not any(client.unanswered for client in self.clients)
        finally:
            for client in self.connected():
                self.run(drop(client.socket))


async def cancel_leftovers() -> None:
    """Tasks of a failed example's sockets, say: cancelled before their loop closes."""
    leftover = asyncio.all_tasks() - {asyncio.current_task()}
    for task in leftover:
        task.cancel()
    await asyncio.gather(*leftover, return_exceptions=True)


def test_clients_that_edit_drop_and_resume_all_end_equal_to_the_database(team):
    lead, editor, researcher = team["alice"], team["bob"], team["rita"]
    workspace = Membership.objects.get(user=lead).workspace
    second_editor = UserFactory(username="eddie")
    Membership.objects.create(workspace=workspace, user=second_editor, role=Role.EDITOR)
    loop = asyncio.new_event_loop()
    ClientsOnOneMap.loop = loop
    ClientsOnOneMap.users = [lead, editor, researcher, second_editor]
    try:
        run_state_machine_as_test(
            ClientsOnOneMap,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                phases=PHASES,
            ),
        )
    finally:
        store = presence.get_presence()
        if isinstance(store, presence.RedisPresence):
            loop.run_until_complete(store.close())
        loop.run_until_complete(cancel_leftovers())
        loop.close()
