"""One channel-layer subscription per process and map, shared by the process's sockets on it.

With a channel-layer channel per socket, every event cost one Redis message per viewer (a
`group_send` to N channels is N copies, each popped and decoded on its own) and one JSON
encoding per viewer. A `MapFeed` is the map group's only member in this process: it receives
each event once, wraps it in a `Shared` message that is serialized at most once per variant,
and hands it to every socket of the map here, each of which still applies its own
per-connection filter before sending (`MapConsumer.event_for_viewer`).

Every heartbeat it re-checks its sockets in one database call (the map's seq, the members'
roles: a removed member is closed, a socket behind the log catches up), where each socket used
to read the map on its own tick. It also coalesces presence: a burst of joins and leaves on the
map becomes one read of who is there, after `WS_PRESENCE_INTERVAL_MS` (longer on a crowded map,
never past a heartbeat), sent to the sockets whose list changed. Presence stays correct within
its TTL (maps/presence.py).

Correctness never rests on a feed: a socket that misses an event sees the gap, or the log's
seq on its tick, and reads the stored events (maps/consumers.py).
"""

import asyncio
import contextlib
import json
import logging
import weakref

from django.conf import settings
from django.db import DatabaseError
from django.http import Http404

from empathymap.channel_layers import SKIP_CHANNEL
from maps import selectors
from maps.db_threads import database_sync_to_async
from maps.events import map_group, workspace_group
from maps.presence import get_presence, heartbeat_seconds

logger = logging.getLogger(__name__)

RETRY_MAX_SECONDS = 5.0
# Past this many sockets on the map here, presence waits proportionally longer between sends.
PRESENCE_CROWD = 50
# The most sockets welcomed from one read of the map, its members and its presence.
JOIN_BATCH_MAX = 500


class Shared:
    """A message for many sockets: its JSON text made once for each variant sent."""

    __slots__ = ("message", "_text", "_variant", "_variant_text")

    def __init__(self, message: dict):
        self.message = message
        self._text: str | None = None
        self._variant: dict | None = None
        self._variant_text: str | None = None

    @property
    def seq(self) -> int:
        return self.message["seq"]

    def text(self, variant: dict | None = None) -> str:
        """The JSON of the message, or of a per-connection variant of it (say, a placeholder
        for a viewer who may not see it): both made once however many sockets send them."""
        if variant is None or variant is self.message:
            if self._text is None:
                self._text = json.dumps(self.message)
            return self._text
        if self._variant_text is None or variant != self._variant:
            self._variant = variant
            self._variant_text = json.dumps(variant)
        return self._variant_text


class PresenceRound(Shared):
    """Who is here, for every socket of the map in this process: the whole list (the
    `presence` message), and for the sockets that asked for changes only (`?presence=diff`),
    a `presence.diff` from the list each had last, made once for all that had the same one.
    On a crowded map a join then costs each of them about one entry, not the whole list."""

    __slots__ = ("users", "_diffs")

    def __init__(self, users: list[dict]):
        super().__init__({"type": "presence", "users": users})
        self.users = users
        self._diffs: dict[int, tuple[list, Shared | None]] = {}

    def diff_from(self, before: list[dict]) -> Shared | None:
        """The `presence.diff` from `before` to this round's list (None: no change)."""
        known = self._diffs.get(id(before))
        if known is not None and known[0] is before:
            return known[1]
        diff = presence_diff(before, self.users)
        shared = None if diff is None else Shared(diff)
        self._diffs[id(before)] = (before, shared)
        return shared


def who_is_here(users: list[dict]) -> tuple[list[dict], str, str]:
    """What a welcome needs of who is here: the list, its JSON, and the `presence` message's
    JSON, made once for every socket welcomed with it."""
    return users, json.dumps(users), Shared({"type": "presence", "users": users}).text()


def presence_diff(before: list[dict], after: list[dict]) -> dict | None:
    """Who joined (or changed: an entry replaces the one of the same username) and who left."""
    old = {user["username"]: user for user in before}
    new = {user["username"]: user for user in after}
    joined = [user for name, user in new.items() if old.get(name) != user]
    left = [name for name in old if name not in new]
    if not joined and not left:
        return None
    return {"type": "presence.diff", "joined": joined, "left": left}


class MapFeed:
    """This process's subscription to one map's group, and the sockets it feeds."""

    def __init__(self, layer, map_id: int, registry: dict):
        self.layer = layer
        self.map_id = map_id
        self.registry = registry
        self.sockets: set = set()
        self.channel_name: str | None = None
        self.started: asyncio.Future | None = None
        self.tasks: list[asyncio.Task] = []
        self.presence_dirty = False
        self.presence_task: asyncio.Task | None = None
        # Each person's entry as last read (share_entries), by username.
        self.entries: dict[str, dict] = {}
        # The highest seq handed to the sockets from this process's own writes (deliver_local):
        # the channel layer's copy of such an event is not handed out again.
        self.local_seq = 0
        self.note_ops = None  # maps.consumers.NoteOpBatcher, made on the first note op
        # Events written here, committed, for the map's group (publish), in seq order.
        self.outgoing: list[dict] = []
        self.publish_task: asyncio.Task | None = None
        self.joining: list[tuple[object, asyncio.Future]] = []
        self.join_task: asyncio.Task | None = None
        # Learnt from the first join's read of the map: membership changes come by its group.
        self.workspace_id: int | None = None

    async def add(self, consumer) -> None:
        """Feed this socket from now on: every event committed after this returns reaches it
        (unless the layer loses it, which the socket's gap check and tick repair)."""
        self.sockets.add(consumer)
        if self.started is None:
            self.started = asyncio.ensure_future(self.start())
        await asyncio.shield(self.started)

    async def start(self) -> None:
        self.channel_name = await self.layer.new_channel()
        await self.join()
        self.tasks = [asyncio.create_task(self.run()), asyncio.create_task(self.beat())]

    async def remove(self, consumer) -> None:
        if consumer not in self.sockets:
            return
        self.sockets.discard(consumer)
        if self.sockets:
            return
        if self.registry.get(self.map_id) is self:
            del self.registry[self.map_id]
        current = asyncio.current_task()
        receiving, *others = self.tasks or [None]
        for task in [self.started, *others, self.presence_task, self.join_task]:
            if task is not None and task is not current:
                task.cancel()
        if self.channel_name is None:
            return
        with contextlib.suppress(Exception):
            for group in self.groups():
                await self.layer.group_discard(group, self.channel_name)
        # A channels_redis receive cancelled mid-read can hang its task for good (seen at the
        # end of an event loop): stop the receiving loop with a message instead, if Redis lets.
        try:
            await self.layer.send(self.channel_name, {"type": "feed.stop"})
        except Exception:
            if receiving is not None:
                receiving.cancel()

    def groups(self) -> list[str]:
        """The map's group, and its workspace's once known (`membership.changed`)."""
        groups = [map_group(self.map_id)]
        if self.workspace_id is not None:
            groups.append(workspace_group(self.workspace_id))
        return groups

    async def join(self) -> None:
        # Also run every heartbeat: renews channels_redis' group expiry and rebuilds the groups
        # after a Redis restart.
        try:
            for group in self.groups():
                await self.layer.group_add(group, self.channel_name)
        except Exception as error:
            logger.warning("A feed could not join map %s (%r); will retry", self.map_id, error)

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(heartbeat_seconds())
            await self.join()
            await self.touch_presence()
            await self.recheck()
            self.presence_soon()

    async def touch_presence(self) -> None:
        """Beat the presence of every socket here in one round trip; announce a change (entries
        lost with a Redis restart, or a dead process's ones pruned)."""
        sockets = [consumer for consumer in self.sockets if consumer.open]
        if not sockets:
            return
        entries = [(consumer.channel_name, consumer.user_info()) for consumer in sockets]
        try:
            changed = await get_presence().touch_many(self.map_id, entries)
        except Exception as error:
            logger.warning("Presence unavailable: %r", error)
            return
        if changed:
            await self.announce_presence()

    async def announce_presence(self) -> None:
        """Tell the map's feeds, in every process, that who is here changed."""
        try:
            await self.layer.group_send(map_group(self.map_id), {"type": "presence.changed"})
        except Exception as error:
            logger.warning("Could not announce a presence change: %r", error)

    async def recheck(self) -> None:
        """Membership may have ended (a missed `membership.changed`); events may have been lost."""
        sockets = [consumer for consumer in self.sockets if consumer.open]
        if not sockets:
            return
        user_ids = sorted({consumer.user.pk for consumer in sockets})
        try:
            empathy_map, roles = await database_sync_to_async(selectors.map_and_roles)(
                map_id=self.map_id, user_ids=user_ids
            )
        except DatabaseError as error:
            logger.warning("Database unavailable for map %s's feed: %r", self.map_id, error)
            return
        seq = empathy_map.seq if empathy_map is not None else None
        for consumer in sockets:
            consumer.feed_recheck(seq, roles.get(consumer.user.pk))

    async def run(self) -> None:
        delay = 0.2
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # A receive cancelled while its Redis read is cut short can end in another error:
                # a feed being stopped, or left without sockets, stops here.
                if asyncio.current_task().cancelling() or not self.sockets:
                    return
                logger.warning("A feed's receive failed (%r); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
                await self.join()
                continue
            delay = 0.2
            if message.get("type") == "feed.stop":
                return
            try:
                self.dispatch(message)
            except Exception:
                logger.exception("A feed on map %s failed to dispatch a message", self.map_id)

    def dispatch(self, message: dict) -> None:
        kind = message.get("type")
        if kind == "map.event":
            self.feed_events([message["event"]])
        elif kind == "map.events":
            self.feed_events(message["events"])
        elif kind == "presence.changed":
            self.presence_soon()
        elif kind == "board.cursor":
            shared = Shared(message["cursor"])
            for consumer in list(self.sockets):
                consumer.feed_cursor(message.get("sender"), shared)
        elif kind == "membership.changed":
            for consumer in list(self.sockets):
                if consumer.user.pk == message.get("user_id"):
                    consumer.feed_other(message)
        else:
            for consumer in list(self.sockets):
                consumer.feed_other(message)

    def feed_events(self, events: list[dict]) -> None:
        for event in events:
            if event["seq"] <= self.local_seq:
                continue  # handed out already, by deliver_local
            shared = Shared(event)
            for consumer in list(self.sockets):
                consumer.feed_event(shared)

    def deliver_local(self, events: list[dict]) -> None:
        """Hand the events of a batch written by this process to its sockets of the map at
        once, before the batch's acks, without waiting for the channel layer's copy: every
        socket here then has each of them (a socket that sees a gap reads it from the log)."""
        self.feed_events(events)
        self.local_seq = max(self.local_seq, events[-1]["seq"])

    def publish(self, events: list[dict]) -> None:
        """Send committed events written here to the map's group, for the other processes'
        feeds: in seq order, those that pile up while a send is on its way in one message, and
        without this feed, which has handed them out (deliver_local). Best effort, as the
        layer is: a feed elsewhere that misses them reads them from the log."""
        self.outgoing.extend(events)
        if self.publish_task is None or self.publish_task.done():
            self.publish_task = asyncio.create_task(self.run_publish())

    async def run_publish(self) -> None:
        while self.outgoing:
            events, self.outgoing = self.outgoing, []
            message = {"type": "map.events", "events": events}
            if len(events) == 1:
                message = {"type": "map.event", "event": events[0]}
            if self.channel_name is not None:
                message[SKIP_CHANNEL] = self.channel_name
            try:
                await self.layer.group_send(map_group(self.map_id), message)
            except Exception as error:
                logger.warning("Could not publish events of map %s: %r", self.map_id, error)

    # Joining -----------------------------------------------------------------------------------

    async def admit(self, consumer) -> tuple[str, str] | None:
        """Let a socket that is fed already (`add`) in: read the map and its member's role for
        it, together with every other socket joining the map here meanwhile. One read of the
        map and the members' roles, one presence beat and one read of who is here, and one
        announcement, whatever the number of sockets joining at once, so that a process restart
        (all of its clients reconnecting) costs little more than one join.

        Sets the consumer's map, role and viewer (`MapConsumer.take_membership`) and returns
        who is here: the list, its JSON for the welcome and the `presence` message's JSON, each
        made once for the whole batch and shared (None when presence could not be read).
        Raises Http404 for a map that does not exist or a user who is not a member of its
        workspace, DatabaseError when the database cannot be read."""
        future = asyncio.get_running_loop().create_future()
        self.joining.append((consumer, future))
        if self.join_task is None or self.join_task.done():
            self.join_task = asyncio.create_task(self.run_joins())
        return await future

    async def run_joins(self) -> None:
        while self.joining:
            # A socket that went while waiting (its future cancelled) is left out.
            batch = [entry for entry in self.joining[:JOIN_BATCH_MAX] if not entry[1].done()]
            del self.joining[:JOIN_BATCH_MAX]
            try:
                await self.admit_batch(batch)
            except Exception as error:
                for _consumer, future in batch:
                    if not future.done():
                        future.set_exception(error)

    async def admit_batch(self, batch: list[tuple[object, asyncio.Future]]) -> None:
        user_ids = sorted({consumer.user.pk for consumer, _future in batch})
        # Read after every socket of the batch is fed: an event committed after this read
        # reaches them through the feed, one committed before it is within the welcome's seq.
        empathy_map, roles = await database_sync_to_async(selectors.map_and_roles)(
            map_id=self.map_id, user_ids=user_ids
        )
        if empathy_map is not None and self.workspace_id != empathy_map.workspace_id:
            # A member removed before this group is joined is found by the next heartbeat.
            self.workspace_id = empathy_map.workspace_id
            await self.join()
        admitted = []
        for consumer, future in batch:
            membership = roles.get(consumer.user.pk)
            if empathy_map is None or membership is None or future.done():
                if not future.done():
                    future.set_exception(Http404("Not found."))
                continue
            consumer.take_membership(empathy_map, membership)
            admitted.append((consumer, future))
        if not admitted:
            return
        presence = get_presence()
        entries = [(consumer.channel_name, consumer.user_info()) for consumer, _ in admitted]
        try:
            await presence.touch_many(self.map_id, entries)
            users = self.share_entries(await presence.users(self.map_id))
        except Exception as error:
            logger.warning("Presence unavailable: %r", error)
            here = None
        else:
            here = who_is_here(users)
        for _consumer, future in admitted:
            if not future.done():
                future.set_result(here)
        await self.announce_presence()

    # Presence ----------------------------------------------------------------------------------

    def presence_interval(self) -> float:
        base = settings.WS_PRESENCE_INTERVAL_MS / 1000
        crowd = max(1.0, len(self.sockets) / PRESENCE_CROWD)
        return min(base * crowd, heartbeat_seconds())

    def presence_soon(self) -> None:
        """Send who is here to the sockets, once for every change in the coming interval."""
        self.presence_dirty = True
        if self.presence_task is None or self.presence_task.done():
            self.presence_task = asyncio.create_task(self.send_presence())

    async def send_presence(self) -> None:
        while self.presence_dirty and self.sockets:
            await asyncio.sleep(self.presence_interval())
            # A change announced from here on is read by the next round.
            self.presence_dirty = False
            try:
                users = await get_presence().users(self.map_id)
            except Exception as error:
                logger.warning("Presence unavailable: %r", error)
                return
            users = self.share_entries(users)
            self.entries = {user["username"]: user for user in users}  # who has left goes
            shared = PresenceRound(users)
            for consumer in list(self.sockets):
                consumer.feed_presence(shared)

    def share_entries(self, users: list[dict]) -> list[dict]:
        """The list, each person's entry the object read before when it is unchanged: sockets
        that get diffs keep the list they last had, one per join batch until the next round,
        and those lists then share their entries (about 28 KB a socket at 1,000 otherwise)."""
        entries = self.entries
        shared = []
        for user in users:
            kept = entries.get(user["username"])
            if kept != user:
                entries[user["username"]] = kept = user
            shared.append(kept)
        return shared


# One registry per event loop and channel layer (tests run a loop, and a layer, per test).
_feeds: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def feed_for(layer, map_id: int) -> MapFeed:
    loop = asyncio.get_running_loop()
    by_layer = _feeds.setdefault(loop, weakref.WeakKeyDictionary())
    registry = by_layer.setdefault(layer, {})
    feed = registry.get(map_id)
    if feed is None:
        feed = registry[map_id] = MapFeed(layer, map_id, registry)
    return feed
