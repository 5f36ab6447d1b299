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
