"""A slow connection never holds up the others; a broken channel layer or a missed membership
message does not leave a socket wrong for long."""

import asyncio

import pytest
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer

from maps import services
from maps.consumers import MapConsumer
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB


def create_notes(actor, empathy_map, count):
    for number in range(count):
        services.note_create(
            actor=actor, map_id=empathy_map.pk, section="says", text=f"Note {number + 1}"
        )


@pytest.fixture
def stuck(monkeypatch):
    """Sockets of the users named in the returned set stop draining their outbox."""
    users = set()
    forever = asyncio.Event()
    deliver = MapConsumer.deliver

    async def deliver_or_hang(consumer, kind, value):
        if consumer.user.username in users:
            await forever.wait()
        await deliver(consumer, kind, value)

    monkeypatch.setattr(MapConsumer, "deliver", deliver_or_hang)
    return users


async def test_a_stuck_socket_is_told_to_resume_and_the_others_are_not_delayed(
    open_socket, tokens, bob, empathy_map, settings, stuck
):
    settings.WS_SEND_QUEUE_LIMIT = 5
    alice = await open_socket(empathy_map.pk, token=tokens["alice"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    await alice.next("presence")
    stuck.add("vera")
    await db(create_notes)(bob, empathy_map, 8)
    assert [event["seq"] for event in await alice.collect(8, "event")] == list(range(1, 9))
    assert await vera.next("reload") == {"type": "reload", "reason": "behind", "seq": 0}
    assert await vera.close_code() == 4408

    # It reconnects, to any process, and resumes with nothing lost.
    stuck.clear()
    again = await open_socket(empathy_map.pk, token=tokens["vera"])
    await again.send({"type": "resume", "since": 0})
    assert [event["seq"] for event in await again.collect(8, "event")] == list(range(1, 9))
    assert (await again.next("resumed"))["seq"] == 8


async def test_cursors_give_way_on_a_busy_socket(open_socket, tokens, empathy_map, settings, stuck):
    settings.WS_SEND_QUEUE_LIMIT = 10
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    stuck.add("vera")
    for number in range(15):
        await bob.send({"type": "cursor", "n": number})
    assert await vera.nothing(0.3)  # cursors were dropped, not queued into an overflow


async def test_a_socket_survives_a_broken_channel_layer_and_catches_up(
    open_socket, tokens, bob, empathy_map, settings, sent_to_layer, monkeypatch
):
    settings.PRESENCE_TTL_SECONDS = 2  # a tick every half second
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    layer = get_channel_layer()
    receive = layer.receive
    outage = asyncio.Event()

    async def broken_receive(channel):
        if outage.is_set():
            await asyncio.sleep(0.05)
            raise ConnectionError("Redis is restarting")
        return await receive(channel)

    monkeypatch.setattr(layer, "receive", broken_receive)
    outage.set()
    sent_to_layer.drop.append(lambda message: outage.is_set())
    await asyncio.sleep(0.3)  # the consumer is now retrying its receive
    await db(create_notes)(bob, empathy_map, 3)  # broadcasts lost in the outage
    outage.clear()
    events = await socket.collect(3, "event", timeout=4)
    assert [event["seq"] for event in events] == [1, 2, 3]
    await db(create_notes)(bob, empathy_map, 1)
    assert (await socket.next("event"))["seq"] == 4


async def test_a_missed_membership_message_still_disconnects_a_removed_member(
    open_socket, tokens, alice, empathy_map, settings, sent_to_layer
):
    settings.PRESENCE_TTL_SECONDS = 2
    sent_to_layer.drop.append(lambda message: message["type"] == "membership.changed")
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await db(services.member_remove)(actor=alice, workspace_slug="acme", username="bob")
    assert await socket.close_code(timeout=3) == 4404
