"""A process subscribes to a map once, however many sockets it holds there, and encodes each
event once for all of them (maps/feeds.py)."""

import json

from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from maps import feeds, services
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
