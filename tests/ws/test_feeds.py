"""A process subscribes to a map once, however many sockets it holds there, and encodes each
event once for all of them (maps/feeds.py)."""

import asyncio
import json
import threading

from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from maps import feeds, presence, services
from maps.events import map_group
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB


async def members_of_group(group: str) -> int:
    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # the in-memory layer
        return len(layer.groups.get(group, {}))
    async with layer.connection(layer.consistent_hash(group)) as connection:
        return await connection.zcard(layer._group_key(group))


async def test_a_process_joins_a_maps_group_once_for_all_its_sockets(
    open_socket, tokens, empathy_map
):
    sockets = [
        await open_socket(empathy_map.pk, token=tokens[name]) for name in ("bob", "vera", "rita")
    ]
    assert await members_of_group(map_group(empathy_map.pk)) == 1
    for socket in sockets:
        await socket.communicator.disconnect()
    assert await members_of_group(map_group(empathy_map.pk)) == 0


async def test_an_event_is_encoded_once_for_every_socket_of_the_process(
    open_socket, tokens, bob, empathy_map, monkeypatch
):
    sockets = [
        await open_socket(empathy_map.pk, token=tokens[name]) for name in ("alice", "vera", "rita")
    ]
    encoded = []
    dumps = json.dumps

    def counting_dumps(value, *args, **kwargs):
        if isinstance(value, dict) and value.get("type") == "event":
            encoded.append(value["seq"])
        return dumps(value, *args, **kwargs)

    monkeypatch.setattr(feeds.json, "dumps", counting_dumps)
    await db(services.note_create)(
        actor=bob, map_id=empathy_map.pk, section="says", text="Once for everyone"
    )
    for socket in sockets:
        event = await socket.next("event")
        assert event["note"]["text"] == "Once for everyone"
    assert encoded == [1]


async def test_sockets_joining_at_once_share_one_read_of_the_map_and_the_tokens(
    open_socket, tokens, empathy_map, monkeypatch
):
    # A process restart: all of its clients reconnect at once. Their joins are read together,
    # so the database sees a handful of reads, not one per socket.
    from maps import selectors, websocket_auth

    reads, lookups = [], []
    map_and_roles, users_for_tokens = selectors.map_and_roles, websocket_auth.users_for_tokens

    def counting_map_and_roles(**kwargs):
        reads.append(kwargs["user_ids"])
        return map_and_roles(**kwargs)

    def counting_users_for_tokens(keys):
        lookups.append(keys)
        return users_for_tokens(keys)

    monkeypatch.setattr(selectors, "map_and_roles", counting_map_and_roles)
    monkeypatch.setattr(websocket_auth, "users_for_tokens", counting_users_for_tokens)
    names = ["alice", "bob", "vera", "rita"] * 3
    sockets = await asyncio.gather(
        *(open_socket(empathy_map.pk, token=tokens[name]) for name in names),
        open_socket(empathy_map.pk, token=tokens["mallory"], welcome=False),
    )
    *members, outsider = sockets
    assert len(reads) <= 2 and len(lookups) <= 2
    assert await outsider.close_code() == 4404  # refused in the same batch
    # Every welcome names its own user and lists everyone who joined with it.
    for name, socket in zip(names, members, strict=True):
        assert socket.welcome["seq"] == 0
        assert socket.welcome["user"]["username"] == name
    everyone = {user["username"] for user in members[-1].welcome["presence"]}
    assert everyone == set(names)


async def test_the_handshake_completes_before_the_map_is_read(
    open_socket, tokens, empathy_map, monkeypatch
):
    # Accepting at once keeps a crowd of joins inside daphne's handshake timeout: the welcome
    # follows when the map has been read.
    from maps import selectors

    release = threading.Event()
    map_and_roles = selectors.map_and_roles

    def slow_map_and_roles(**kwargs):
        release.wait(5)
        return map_and_roles(**kwargs)

    monkeypatch.setattr(selectors, "map_and_roles", slow_map_and_roles)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"], welcome=False)
    assert socket.connected
    assert await socket.nothing(0.3)
    release.set()
    welcome = await socket.receive()
    assert welcome["type"] == "welcome" and welcome["user"]["username"] == "bob"


async def test_the_feed_beats_presence_for_all_its_sockets_in_one_call(
    open_socket, tokens, empathy_map, settings, monkeypatch
):
    # Idle sockets cost the process one presence round trip per map and heartbeat, not one each.
    settings.PRESENCE_TTL_SECONDS = 2  # a heartbeat every half second
    store = presence.get_presence()
    beats = []
    touch_many = type(store).touch_many

    async def counting_touch_many(self, map_id, entries):
        beats.append(sorted(user["username"] for _connection, user in entries))
        return await touch_many(self, map_id, entries)

    monkeypatch.setattr(type(store), "touch_many", counting_touch_many)
    for name in ("bob", "vera", "rita"):
        await open_socket(empathy_map.pk, token=tokens[name])
    beats.clear()  # the joins' own
    for _ in range(40):
        if beats:
            break
        await asyncio.sleep(0.05)
    assert beats[0] == ["bob", "rita", "vera"]


async def test_a_note_op_is_handed_out_here_and_published_from_the_event_loop(
    open_socket, tokens, empathy_map, monkeypatch
):
    # The database thread does not wait on the channel layer: the batch's events reach this
    # process's sockets from the batch's result, and go to the group for the other processes
    # afterwards, from the event loop, naming this process's feed so that it is left out.
    from maps import events

    from_threads, published = [], []
    monkeypatch.setattr(events, "send_to_group", lambda *args: from_threads.append(args))
    layer = get_channel_layer()
    group_send = layer.group_send

    async def recording_group_send(group, message):
        published.append((group, dict(message)))
        await group_send(group, message)

    monkeypatch.setattr(layer, "group_send", recording_group_send)
    writer = await open_socket(empathy_map.pk, token=tokens["bob"])
    viewer = await open_socket(empathy_map.pk, token=tokens["vera"])
    data = {"section": "says", "text": "Handed out here"}
    await writer.op("note.create", data, "op-1")
    event = await viewer.next("event")
    assert event["note"]["text"] == "Handed out here"
    assert (await writer.next("ack"))["seq"] == event["seq"]
    for _ in range(100):
        if published:
            break
        await asyncio.sleep(0.01)
    feed = feeds.feed_for(layer, empathy_map.pk)
    [(group, message)] = [item for item in published if item[1]["type"] != "presence.changed"]
    assert group == map_group(empathy_map.pk)
    assert message["type"] == "map.event" and message["event"]["seq"] == event["seq"]
    assert message[feeds.SKIP_CHANNEL] == feed.channel_name
    assert from_threads == []
    assert await viewer.nothing_but("presence")  # the layer's copy is not handed out again


class HeldLayer:
    """A layer whose group sends wait until the test lets them go."""

    def __init__(self):
        self.sent = []
        self.release = asyncio.Event()

    async def group_send(self, group, message):
        await self.release.wait()
        self.sent.append(message)


async def test_events_published_while_a_send_is_on_its_way_follow_together_in_order():
    layer = HeldLayer()
    feed = feeds.MapFeed(layer, 7, {})
    feed.channel_name = "specific.process!feed"
    first, second, third = ({"type": "event", "seq": seq} for seq in (1, 2, 3))
    feed.publish([first])
    await asyncio.sleep(0)  # the first send is on its way
    feed.publish([second])
    feed.publish([third])
    layer.release.set()
    await feed.publish_task
    assert layer.sent == [
        {"type": "map.event", "event": first, feeds.SKIP_CHANNEL: "specific.process!feed"},
        {"type": "map.events", "events": [second, third], feeds.SKIP_CHANNEL: feed.channel_name},
    ]


async def test_a_redis_group_send_leaves_out_the_channel_it_names(redis_url):
    # The sending process's own feed had the events first-hand; the other processes' feeds get
    # them. A layer whose library changed underneath would fail here.
    import uuid

    from empathymap.channel_layers import RedisChannelLayer

    layer = RedisChannelLayer(hosts=[redis_url], prefix=f"test{uuid.uuid4().hex[:12]}")
    try:
        here, elsewhere = await layer.new_channel(), await layer.new_channel()
        for channel in (here, elsewhere):
            await layer.group_add("map_1", channel)
        await layer.group_send("map_1", {"type": "map.event", feeds.SKIP_CHANNEL: here})
        received = await asyncio.wait_for(layer.receive(elsewhere), 3)
        assert received["type"] == "map.event"
        await layer.group_send("map_1", {"type": "presence.changed"})  # names no one: to all
        assert (await asyncio.wait_for(layer.receive(here), 3))["type"] == "presence.changed"
        assert (await asyncio.wait_for(layer.receive(elsewhere), 3))["type"] == "presence.changed"
    finally:
        await layer.flush()
