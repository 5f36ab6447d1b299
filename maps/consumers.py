"""The live board: `/ws/maps/{id}/` (contract: websocket section).

Correctness comes from the stored event log, never from the channel layer, which delivers at
most once (channels_redis drops group messages for a full channel without a word). Each
connection keeps `last_sent_seq` and sends events strictly in order: an event that arrives after
a gap is preceded by the missing ones, read from the database, and duplicates are dropped. The
process's feed of the map (maps/feeds.py) does the periodic work for all its sockets at once: it
re-joins the groups (Redis may have restarted and forgotten them), beats presence, re-checks
membership and has a socket catch up if the log moved on without this process hearing of it.

Everything a connection sends after its welcome goes through one bounded outbox drained by one
task, so events, acks and `resumed` leave in the order in which they were decided, and a slow
connection never holds up another. A connection whose outbox overflows is sent `reload` and
closed with 4408: its client reconnects, to any process, and resumes from its last seq.
"""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections import deque
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, DataError
from django.http import Http404

from empathymap import hostile
from maps import selectors, services, socket_limits, visibility
from maps.db_threads import database_sync_to_async
from maps.events import event_message, map_group
from maps.feeds import PresenceRound, Shared, feed_for, who_is_here
from maps.models import Phase, Role
from maps.presence import get_presence
from maps.workshop import ops as workshop_ops

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404
# Reconnect and resume: this connection fell too far behind (its outbox overflowed).
CLOSE_BEHIND = 4408
# Reconnect later and resume: the database could not be read.
CLOSE_UNAVAILABLE = 4503

OP_ACTIONS = (*services.NOTE_OP_ACTIONS, *workshop_ops.ACTIONS)
OP_ID_MAX = 64
# The most note ops of one map applied in one transaction.
NOTE_OP_BATCH_MAX = 64
CURSOR_MAX_CHARS = 1000


def readable_op_id(text_data: str | None) -> str | None:
    """The op_id of a message refused as hostile, when the op_id itself is sound: the client
    then takes back its change instead of waiting for an answer that never comes."""
    try:
        content = json.loads(text_data or "")
    except (ValueError, RecursionError):
        return None
    op_id = content.get("op_id") if isinstance(content, dict) else None
    if not isinstance(op_id, str) or not 0 < len(op_id) <= OP_ID_MAX or not op_id.isprintable():
        return None
    try:
        op_id.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    return op_id


class OpRefused(Exception):
    """An op (or a message) the server will not apply; nothing changed."""

    def __init__(
        self, code: str, detail: str, *, field: str | None = None, current=None, reason=None
    ):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.current = current
        self.reason = reason  # e.g. no_votes_left: the HTTP API's `code` for the same refusal

    def message(self, op_id) -> dict:
        message = {"type": "error", "op_id": op_id, "code": self.code, "detail": self.detail}
        if self.field:
            message["field"] = self.field
        if self.current is not None:
            message["current"] = self.current
        if self.reason:
            message["reason"] = self.reason
        return message


# Database work, run on the board's database threads (maps/db_threads.py) -------------------------


def first_error(error: ValidationError) -> tuple[str | None, str]:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return (None if field == "__all__" else field), messages[0]
    return None, error.messages[0]


def ack_for(event) -> dict:
    return {"type": "ack", "op_id": event.op_id, "seq": event.seq, "note": event.payload["note"]}


def refusal_for(error: Exception) -> OpRefused:
    """What the sender of a refused op is told; nothing changed."""
    if isinstance(error, OpRefused):
        return error
    if isinstance(error, services.VersionConflict):
        current = error.current
        if current is None:
            current = selectors.note_data(error.note_id)
        return OpRefused("conflict", str(error), current=current)
    if isinstance(error, ValidationError):
        field, detail = first_error(error)
        return OpRefused("invalid", detail, field=field, reason=getattr(error, "error_code", None))
    if isinstance(error, PermissionDenied):
        return OpRefused("forbidden", str(error) or "Your role may not do this.")
    if isinstance(error, Http404):
        return OpRefused("not_found", str(error) or "Not found.")
    if isinstance(error, DataError):
        return OpRefused("invalid", "The database cannot store this value.")
    if isinstance(error, DatabaseError):
        return OpRefused("unavailable", "The database is unavailable; nothing changed.")
    return OpRefused("internal", "The server failed to apply this op; nothing changed.")


def apply_note_ops(*, map_id: int, ops: list[services.NoteOp]) -> tuple[list, list[dict]]:
    """Apply note ops that arrived together on one map (services.note_ops_apply): the answer
    to each, ("ack", ACK) or ("message", ERROR), and the events written, in seq order, which
    the caller hands out and publishes (NoteOpBatcher)."""
    results = services.note_ops_apply(map_id=map_id, ops=ops, broadcast=False)
    answers, events = [], []
    for op, result in zip(ops, results, strict=True):
        if result.error is not None:
            if isinstance(result.error, DatabaseError):
                logger.warning("Database refused op %s: %r", op.op_id, result.error)
            answers.append(("message", refusal_for(result.error).message(op.op_id)))
            continue
        if result.new:
            events.append(event_message(result.event, actor_username=op.actor.username))
        answers.append(("ack", ack_for(result.event)))
    return answers, events


def apply_op(*, actor, map_id: int, op_id: str, action: str, data: dict) -> dict:
    """The ack of a workshop op, applying it unless it was applied before. Raises OpRefused."""
    try:
        return workshop_ops.apply(map_id=map_id, actor=actor, op_id=op_id, action=action, data=data)
    except (services.VersionConflict, ValidationError, PermissionDenied, Http404) as error:
        raise refusal_for(error) from None


class NoteOpBatcher:
    """The note ops of one map in this process, applied together: the ops that arrive while a
    batch is on the database form the next one (a group commit), so that ops on a busy map
    share the row lock, the seq bump and the commit. One batch per map and process at a time,
    in arrival order, so the ops of each socket keep their order. The events of a batch reach
    this process's sockets of the map before the acks do; other processes get them through
    the channel layer, sent from here once the batch has committed (MapFeed.publish): the
    database thread goes on to the next batch meanwhile."""

    def __init__(self, feed):
        self.feed = feed
        self.waiting: list[tuple[services.NoteOp, asyncio.Future]] = []
        self.task: asyncio.Task | None = None

    def submit(self, op: services.NoteOp) -> asyncio.Future:
        """A future of the op's answer: ("ack", ACK), ("message", ERROR) or ("failed", error)."""
        future = asyncio.get_running_loop().create_future()
        self.waiting.append((op, future))
        if self.task is None or self.task.done():
            self.task = asyncio.ensure_future(self.run())
        return future

    async def run(self) -> None:
        while self.waiting:
            batch = self.waiting[:NOTE_OP_BATCH_MAX]
            del self.waiting[:NOTE_OP_BATCH_MAX]
            try:
                answers, events = await database_sync_to_async(apply_note_ops)(
                    map_id=self.feed.map_id, ops=[op for op, _future in batch]
                )
            except Exception as error:
                answers, events = [("failed", error)] * len(batch), []
            if events:
                self.feed.deliver_local(events)
                self.feed.publish(events)
            for (_op, future), answer in zip(batch, answers, strict=True):
                if not future.done():  # its socket may have gone meanwhile
                    future.set_result(answer)


def stored_events(empathy_map, since: int) -> list[dict]:
    """One page of the map's event log after `since`, as websocket messages."""
    return [
        event_message(event)
        for event in selectors.events_since(empathy_map=empathy_map, since=since)
    ]


# The consumer ----------------------------------------------------------------------------------


class MapConsumer(AsyncJsonWebsocketConsumer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = None
        self.map_id: int | None = None
        self.empathy_map = None
        self.workspace_id: int | None = None
        self.role: str | None = None
        # What this connection may see of the map's notes, as of last_sent_seq (visibility.py).
        self.viewer: visibility.Viewer | None = None
        self.open = False  # welcomed, with its tasks running
        self.closing = False
        self.last_sent_seq = 0
        # Events up to this seq are replayed to a resuming client under what it may see now.
        self.pinned_until = 0
        self.outbox: asyncio.Queue | None = None
        self.feed = None  # this process's subscription to the map (maps/feeds.py)
        self.behind = False  # told to reconnect: its outbox overflowed
        self.presence_text: str | None = None  # the presence message last sent, as JSON
        # Asked for `presence.diff` messages (`?presence=diff`): the list they start from.
        self.presence_diffs = False
        self.presence_users: list[dict] = []
        self.cursor_times: deque = deque(maxlen=0)
        self.tasks: list[asyncio.Task] = []
        self.op_bucket: socket_limits.TokenBucket | None = None
        # Ops wait here for run_ops, so that the bucket sees them as they arrive, not as fast as
        # the database applies them (which would let a flood queue up unseen).
        self.op_inbox: asyncio.Queue | None = None
        self.holds_slot = False  # counted in socket_limits.connections
        self.accepted = False

    async def __call__(self, scope, receive, send):
        """As AsyncConsumer.__call__, except that the socket has no channel-layer channel of its
        own: what the layer brings for the map (events, presence, cursors, membership changes)
        reaches it through the process's feed of the map, whatever the number of its sockets.
        `channel_name` only names the socket (presence, the sender of a cursor)."""
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = f"socket.{uuid.uuid4().hex}"
        self.base_send = send
        try:
            await await_many_dispatch([receive], self.dispatch)
        except StopConsumer:
            pass
        finally:
            self.release_slot()
            await self.stop_tasks()
            if self.feed is not None:
                # Killed without a disconnect (daphne's shutdown timeout): feed it no more.
                with contextlib.suppress(Exception):
                    await self.feed.remove(self)

    async def dispatch(self, message):
        # database_sync_to_async already closes stale connections around every query, so skip
        # Channels' per-message hop to the database thread: cursor traffic stays off it.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            logger.warning("Ignoring a message of type %r", message.get("type"))
            return
        await handler(message)

    # Connecting and leaving --------------------------------------------------------------------

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        if not socket_limits.connections.acquire(user.pk):
            await self.refuse(socket_limits.CLOSE_TOO_MANY)
            return
        self.holds_slot = True
        # The handshake completes at once; the welcome, or a refusal's close code, follows when
        # the map has been read for this socket and every other one joining meanwhile.
        await self.accept()
        self.accepted = True
        self.op_bucket = socket_limits.op_bucket()
        self.map_id = self.scope["url_route"]["kwargs"]["map_id"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        self.presence_diffs = query.get("presence") == ["diff"]
        # Events fed before the welcome wait here; those the welcome's seq covers are skipped.
        self.outbox = asyncio.Queue(maxsize=max(1, settings.WS_SEND_QUEUE_LIMIT))
        # Subscribe before the map's seq is read, so that no event committed in between is missed.
        self.feed = feed_for(self.channel_layer, self.map_id)
        await self.feed.add(self)
        try:
            here = await self.feed.admit(self)
        except Http404:
            await self.feed.remove(self)
            await self.refuse(CLOSE_NOT_FOUND)
            return
        except DatabaseError as error:
            logger.warning("Database unavailable for a socket on map %s: %r", self.map_id, error)
            await self.feed.remove(self)
            await self.refuse(CLOSE_UNAVAILABLE)
            return
        self.cursor_times = deque(maxlen=max(0, settings.WS_CURSOR_RATE))
        if here is None:
            here = who_is_here([self.user_info()])
        # Shared with every socket of the batch: on a crowded map the list is large.
        users, users_text, self.presence_text = here
        if self.presence_diffs:
            # Kept only by the sockets that get diffs: the others need its JSON alone (a list
            # kept by every socket of each join batch cost 28 KB a socket at 1,000 sockets).
            self.presence_users = users
        user_text = json.dumps(self.user_info())
        await self.send(
            text_data=f'{{"type": "welcome", "seq": {self.last_sent_seq}, "user": {user_text},'
            f' "presence": {users_text}}}'
        )
        self.open = True
        # Added to, not replaced: a task spawned before the welcome is stopped with the others.
        # The feed beats presence and re-checks access for all the map's sockets here at once.
        self.tasks.append(asyncio.create_task(self.run_sender()))

    def take_membership(self, empathy_map, membership: tuple[Role, str]) -> None:
        """The map as the feed read it for this socket's join, and the member's role and team."""
        role, team = membership
        self.empathy_map = empathy_map
        self.workspace_id = empathy_map.workspace_id
        self.role = Role(role).value
        # The phase and the seq come from one row: the phase is the one after that seq.
        self.viewer = visibility.viewer_for(role=role, team=team, phase=empathy_map.phase)
        self.last_sent_seq = empathy_map.seq

    async def refuse(self, code: int) -> None:
        self.closing = True
        if not self.accepted:
            self.accepted = True
            await self.accept()
        await self.close(code=code)

    def release_slot(self) -> None:
        if self.holds_slot:
            self.holds_slot = False
            socket_limits.connections.release(self.user.pk)

    async def disconnect(self, code):
        self.closing = True
        self.release_slot()
        await self.stop_tasks()
        if not self.open:
            return
        self.open = False
        try:
            await get_presence().leave(self.map_id, self.channel_name)
        except Exception as error:
            logger.warning("Could not remove a socket from presence: %r", error)
        await self.feed.announce_presence()
        await self.feed.remove(self)

    async def shut(self, code: int) -> None:
        """Close from the server's side; `disconnect` cleans up when the close completes."""
        if self.closing:
            return
        self.closing = True
        self.drain_outbox()
        with contextlib.suppress(Exception):
            await self.close(code=code)

    async def stop_tasks(self) -> None:
        current = asyncio.current_task()
        tasks = [task for task in self.tasks if task is not current]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks = []

    # From the client ----------------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None):
        if not self.open or self.closing:
            return
        if socket_limits.message_size(text_data, bytes_data) > settings.WS_MAX_MESSAGE_BYTES:
            await self.refuse_too_big()
            return
        try:
            content = hostile.loads(text_data) if text_data is not None else None
        except hostile.InputRefused as refusal:
            await self.refuse_message(
                readable_op_id(text_data), refusal.detail, field=refusal.field
            )
            return
        if not isinstance(content, dict):
            await self.refuse_message(None, "Send one JSON object per message.")
            return
        if content.get("type") in ("op", "resume") and not self.op_bucket.take():
            await self.refuse_rate_limited(content)
            return
        if content.get("type") == "op":
            if self.op_inbox is None:
                # Most sockets only watch: the queue and its task come with the first op.
                self.op_inbox = asyncio.Queue(maxsize=max(1, settings.WS_OP_BURST))
                self.tasks.append(asyncio.create_task(self.run_ops()))
            try:
                self.op_inbox.put_nowait(content)
            except asyncio.QueueFull:
                await self.refuse_rate_limited(content)
            return
        await self.receive_json(content)

    async def run_ops(self) -> None:
        """Apply the ops of this connection in the order they arrived. Note ops waiting here
        together go to the map's batcher together (NoteOpBatcher), and every answer leaves in
        the order of the ops."""
        while True:
            contents = [await self.op_inbox.get()]
            while not self.op_inbox.empty():
                contents.append(self.op_inbox.get_nowait())
            answers: list[tuple[str | None, asyncio.Future]] = []
            for content in contents:
                parsed = self.parse_op(content)
                if isinstance(parsed, tuple) and parsed[1] in services.NOTE_OP_ACTIONS:
                    op_id, action, data = parsed
                    op = services.NoteOp(actor=self.user, op_id=op_id, action=action, data=data)
                    answers.append((op_id, self.note_ops().submit(op)))
                    continue
                # A workshop op, or a refusal: after the note ops before it.
                await self.send_answers(answers)
                answers = []
                if isinstance(parsed, tuple):
                    await self.apply_workshop_op(*parsed)
                else:
                    await self.enqueue("message", parsed)
            await self.send_answers(answers)

    def note_ops(self) -> "NoteOpBatcher":
        if self.feed.note_ops is None:
            self.feed.note_ops = NoteOpBatcher(self.feed)
        return self.feed.note_ops

    async def send_answers(self, answers: list[tuple[str | None, asyncio.Future]]) -> None:
        for op_id, future in answers:
            kind, value = await future
            if kind == "failed":
                if isinstance(value, DatabaseError):
                    logger.warning("Database refused op %s: %r", op_id, value)
                else:
                    logger.error("Op %s on map %s failed", op_id, self.map_id, exc_info=value)
                kind, value = "message", refusal_for(value).message(op_id)
            await self.enqueue(kind, value)

    async def refuse_too_big(self) -> None:
        # Daphne drops a close frame's reason, so the reason also goes out as an error first.
        limit = settings.WS_MAX_MESSAGE_BYTES
        detail = f"Messages may be at most {limit} bytes; this socket is closed."
        message = {"type": "error", "op_id": None, "code": "too_large", "detail": detail}
        with contextlib.suppress(Exception):
            await self.send_json(message)
        self.closing = True
        self.drain_outbox()
        with contextlib.suppress(Exception):
            await self.close(code=socket_limits.CLOSE_TOO_BIG, reason="message too big")

    async def refuse_rate_limited(self, content: dict) -> None:
        op_id = content.get("op_id")
        refusal = OpRefused("rate_limited", "Too many messages; slow down, then send it again.")
        echo = op_id if isinstance(op_id, str) and len(op_id) <= OP_ID_MAX else None
        message = refusal.message(echo)
        message["retry_after"] = round(self.op_bucket.wait_seconds(), 2)
        await self.enqueue("message", message)

    async def receive_json(self, content, **kwargs):
        kind = content.get("type")
        if kind == "resume":
            await self.receive_resume(content)
        elif kind == "cursor":
            await self.receive_cursor(content)
        else:
            await self.refuse_message(
                None, "Unknown message type; send op, resume or cursor.", field="type"
            )

    async def refuse_message(self, op_id, detail: str, *, field: str | None = None) -> None:
        await self.enqueue("message", OpRefused("invalid", detail, field=field).message(op_id))

    async def receive_resume(self, content) -> None:
        since = content.get("since")
        if isinstance(since, bool) or not isinstance(since, int) or since < 0:
            await self.refuse_message(
                None, "Give since, the last seq you have (0 for none).", field="since"
            )
            return
        await self.enqueue("resume", since)

    def parse_op(self, content: dict) -> tuple[str, str, dict] | dict:
        """(op_id, action, data) of an op message, or the error message refusing it."""
        op_id = content.get("op_id")
        echo = op_id if isinstance(op_id, str) else None
        if not isinstance(op_id, str) or not 1 <= len(op_id) <= OP_ID_MAX:
            detail = f"Give op_id, a string of 1 to {OP_ID_MAX} characters unique to this op."
            return OpRefused("invalid", detail, field="op_id").message(echo)
        action = content.get("action")
        if action not in OP_ACTIONS:
            detail = f"Give action, one of {', '.join(OP_ACTIONS)}."
            return OpRefused("invalid", detail, field="action").message(op_id)
        data = content.get("data")
        if not isinstance(data, dict):
            return OpRefused("invalid", "Give data, an object.", field="data").message(op_id)
        return op_id, action, data

    async def apply_workshop_op(self, op_id: str, action: str, data: dict) -> None:
        try:
            ack = await database_sync_to_async(apply_op)(
                actor=self.user, map_id=self.map_id, op_id=op_id, action=action, data=data
            )
        except DatabaseError as error:
            if not isinstance(error, DataError):
                logger.warning("Database refused op %s on map %s: %r", op_id, self.map_id, error)
            await self.enqueue("message", refusal_for(error).message(op_id))
        except Exception as error:
            if not isinstance(error, OpRefused):
                logger.exception("Op %s on map %s failed", op_id, self.map_id)
            await self.enqueue("message", refusal_for(error).message(op_id))
        else:
            await self.enqueue("ack", ack)

    async def receive_cursor(self, content) -> None:
        if not self.cursor_allowed():
            return
        fields = {name: value for name, value in content.items() if name not in ("type", "user")}
        cursor = {"type": "cursor", "user": self.user.username, **fields}
        if len(json.dumps(cursor)) > CURSOR_MAX_CHARS:
            return
        try:
            await self.channel_layer.group_send(
                map_group(self.map_id),
                {"type": "board.cursor", "sender": self.channel_name, "cursor": cursor},
            )
        except Exception as error:
            logger.debug("Could not relay a cursor: %r", error)

    def cursor_allowed(self) -> bool:
        """At most WS_CURSOR_RATE cursor messages in any one second; the excess is dropped."""
        times = self.cursor_times
        if not times.maxlen:
            return False
        now = time.monotonic()
        if len(times) == times.maxlen and now - times[0] < 1.0:
            return False
        times.append(now)
        return True

    # From the channel layer ---------------------------------------------------------------------

    # The socket has no channel of its own: the process's feed of the map (maps/feeds.py) calls
    # feed_* with what the map's and the workspace's groups bring.

    def feed_event(self, shared: Shared) -> None:
        self.enqueue_nowait("event", shared)

    def feed_presence(self, shared: PresenceRound) -> None:
        if not self.presence_diffs:
            self.enqueue_nowait("presence", shared)
            return
        # What changed since the list queued last for this socket: its messages keep their
        # order, so the client's list follows each diff in turn.
        diff = shared.diff_from(self.presence_users)
        self.presence_users = shared.users
        if diff is not None:
            self.enqueue_nowait("shared", diff)

    def feed_cursor(self, sender: str | None, shared: Shared) -> None:
        if sender == self.channel_name or self.outbox is None or not self.open:
            return
        # Cursors are the first thing to give up when this connection is busy.
        if self.outbox.qsize() * 2 >= self.outbox.maxsize:
            return
        self.enqueue_nowait("shared", shared)

    def feed_recheck(self, seq: int | None, membership) -> None:
        self.spawn(self.apply_recheck(seq, membership, catch_up=True))

    def spawn(self, coroutine) -> None:
        """Run beside the connection's tasks, stopped with them, forgotten once done."""
        task = asyncio.ensure_future(coroutine)
        self.tasks.append(task)
        task.add_done_callback(lambda done: done in self.tasks and self.tasks.remove(done))

    def feed_other(self, message: dict) -> None:
        asyncio.ensure_future(self.dispatch(message))

    async def membership_changed(self, message):
        if self.open and message.get("workspace_id") == self.workspace_id:
            await self.recheck(catch_up=False)

    # The outbox -------------------------------------------------------------------------------

    async def enqueue(self, kind: str, value=None) -> None:
        if self.closing or self.outbox is None:
            return
        try:
            self.outbox.put_nowait((kind, value))
        except asyncio.QueueFull:
            await self.fall_behind()

    def enqueue_nowait(self, kind: str, value=None) -> None:
        if self.closing or self.outbox is None:
            return
        try:
            self.outbox.put_nowait((kind, value))
        except asyncio.QueueFull:
            if not self.behind:
                self.behind = True
                self.spawn(self.fall_behind())

    def drain_outbox(self) -> None:
        while self.outbox is not None and not self.outbox.empty():
            self.outbox.get_nowait()

    async def fall_behind(self) -> None:
        logger.warning(
            "A socket on map %s fell %s messages behind; telling it to reconnect and resume",
            self.map_id,
            self.outbox.qsize(),
        )
        self.drain_outbox()
        with contextlib.suppress(Exception):
            await self.send_json({"type": "reload", "reason": "behind", "seq": self.last_sent_seq})
        await self.shut(CLOSE_BEHIND)

    async def run_sender(self) -> None:
        try:
            while not self.closing:
                kind, value = await self.outbox.get()
                if self.closing:
                    return
                await self.deliver(kind, value)
        except asyncio.CancelledError:
            raise
        except Http404:
            await self.shut(CLOSE_NOT_FOUND)
        except Exception as error:
            if self.closing:
                return
            if isinstance(error, DatabaseError):
                logger.warning(
                    "Database unavailable for a socket on map %s: %r", self.map_id, error
                )
            else:
                logger.exception("The sender of a socket on map %s failed", self.map_id)
            await self.shut(CLOSE_UNAVAILABLE)

    async def deliver(self, kind: str, value) -> None:
        if kind == "event":
            await self.send_event(value)
        elif kind == "catch_up":
            await self.catch_up()
        elif kind == "resume":
            await self.resume(value)
        elif kind == "ack":
            # The sender sees its op's event (and every one before it) before the ack.
            await self.catch_up(until=value["seq"])
            await self.transmit(value)
        elif kind == "presence":
            await self.send_presence(value)
        elif kind == "shared":
            await self.transmit_text(value.text())
        else:
            await self.transmit(value)

    async def transmit(self, message: dict) -> None:
        if not self.closing:
            await self.send_json(message)

    async def transmit_text(self, text: str) -> None:
        if not self.closing:
            await self.send(text_data=text)

    async def send_event(self, event: Shared) -> None:
        seq = event.seq
        if seq <= self.last_sent_seq:
            return  # sent already, by a catch-up or a resume
        if seq == self.last_sent_seq + 1:
            await self.transmit_event(event)
            return
        # The layer lost or reordered something; the log has everything up to this seq.
        await self.catch_up(until=seq)

    async def transmit_event(self, event: Shared) -> None:
        """Send the next event as this connection may see it (a note hidden by drafting goes
        as a placeholder, so seq stays gap-free), then move on past it. The event's JSON is
        made once for every socket that gets it unchanged, and once for its placeholder."""
        message = event.message
        await self.transmit_text(event.text(visibility.event_for_viewer(message, self.viewer)))
        if message["seq"] > self.pinned_until:
            self.viewer = visibility.viewer_after(message, self.viewer)
        self.last_sent_seq = message["seq"]

    async def catch_up(self, *, until: int | None = None) -> None:
        """Send the stored events after last_sent_seq: up to `until`, or all of them."""
        while until is None or self.last_sent_seq < until:
            page = await database_sync_to_async(stored_events)(self.empathy_map, self.last_sent_seq)
            for message in page:
                await self.transmit_event(Shared(message))
            if len(page) < selectors.EVENTS_PAGE_SIZE:
                return

    async def resume(self, since: int) -> None:
        empathy_map = await database_sync_to_async(selectors.map_for_user)(
            user=self.user, map_id=self.map_id
        )
        # A client claiming more than the log holds (say, a restored database) gets the truth.
        self.last_sent_seq = min(since, empathy_map.seq)
        # The log up to the map's seq is replayed as the member may see the map now: a note
        # hidden now (drafting) is hidden in its past too, events from before drafting began
        # included. Events after it are judged live, phase changes and all.
        self.viewer = visibility.viewer_of_map(empathy_map)
        self.pinned_until = empathy_map.seq
        await self.catch_up()
        await self.transmit({"type": "resumed", "seq": self.last_sent_seq})

    # Presence and access ------------------------------------------------------------------------

    def user_info(self) -> dict:
        name = self.user.get_full_name() or self.user.username
        team = self.viewer.team if self.viewer is not None else None
        return {"username": self.user.username, "name": name, "role": self.role, "team": team}

    async def touch_presence(self) -> bool:
        try:
            return await get_presence().touch(self.map_id, self.channel_name, self.user_info())
        except Exception as error:
            logger.warning("Presence unavailable: %r", error)
            return False

    async def send_presence(self, shared: Shared) -> None:
        """Who is here, as the feed last read it (one read per map and interval), unless this
        connection has sent that list already."""
        text = shared.text()
        sent = text == self.presence_text
        self.presence_text = text  # the shared copy, not one of its own
        if not sent:
            await self.transmit_text(text)

    async def recheck(self, *, catch_up: bool) -> None:
        """Membership may have ended (a missed `membership.changed`); events may have been lost."""
        try:
            empathy_map = await database_sync_to_async(selectors.map_for_user)(
                user=self.user, map_id=self.map_id
            )
        except Http404:
            await self.shut(CLOSE_NOT_FOUND)
            return
        except DatabaseError as error:
            logger.warning("Database unavailable for a socket on map %s: %r", self.map_id, error)
            return
        await self.apply_recheck(
            empathy_map.seq, (empathy_map.role, empathy_map.team), catch_up=catch_up
        )

    async def apply_recheck(self, seq: int | None, membership, *, catch_up: bool) -> None:
        """`membership`: the user's (role, team) in the map's workspace now; None once they left."""
        if not self.open or self.closing:
            return
        if seq is None or membership is None:
            await self.shut(CLOSE_NOT_FOUND)
            return
        role = Role(membership[0]).value
        # Keep the phase as of last_sent_seq: events still to send are judged under it.
        fresh = visibility.viewer_for(role=role, team=membership[1], phase=self.viewer.phase)
        changed_sight = (fresh.sees_all, fresh.team) != (self.viewer.sees_all, self.viewer.team)
        if changed_sight:
            self.viewer = fresh
            if self.viewer.phase == Phase.DRAFTING:
                # The client's notes were chosen for the old role or team: it fetches the map.
                message = {"type": "visibility", "team": fresh.team, "role": role}
                await self.enqueue("message", message)
        if role != self.role or changed_sight:
            self.role = role
            await self.touch_presence()
            await self.feed.announce_presence()
        if catch_up and seq > self.last_sent_seq:
            await self.enqueue("catch_up")
