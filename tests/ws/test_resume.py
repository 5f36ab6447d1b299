"""`resume` replays the stored log after the client's last seq, then says `resumed`."""

import pytest
from channels.db import database_sync_to_async as db

from maps import services
from maps.models import EmpathyMap, EventKind, MapEvent
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB


def create_notes(actor, empathy_map, count):
    for number in range(count):
        services.note_create(
            actor=actor, map_id=empathy_map.pk, section="says", text=f"Note {number + 1}"
        )


async def test_it_replays_every_event_after_since_then_says_resumed(
    open_socket, tokens, bob, empathy_map
):
    await db(create_notes)(bob, empathy_map, 5)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    assert socket.welcome["seq"] == 5
    await socket.send({"type": "resume", "since": 2})
    replayed = await socket.collect(3, "event")
    assert [event["seq"] for event in replayed] == [3, 4, 5]
    assert [event["note"]["text"] for event in replayed] == ["Note 3", "Note 4", "Note 5"]
    assert await socket.next("resumed") == {"type": "resumed", "seq": 5}


async def test_resuming_from_zero_replays_the_whole_log(open_socket, tokens, bob, empathy_map):
    await db(create_notes)(bob, empathy_map, 3)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.send({"type": "resume", "since": 0})
    assert [event["seq"] for event in await socket.collect(3, "event")] == [1, 2, 3]
    assert (await socket.next("resumed"))["seq"] == 3


async def test_a_client_offline_for_long_catches_up_with_nothing_lost_or_duplicated(
    open_socket, tokens, bob, empathy_map
):
    def long_history(count):
        # More events than one page of the log (1,000), written straight to the table for speed.
        MapEvent.objects.bulk_create(
            MapEvent(
                map=empathy_map,
                seq=seq,
                kind=EventKind.MAP_UPDATED,
                actor=bob,
                payload={"map": {"id": empathy_map.pk, "seq": seq}},
            )
            for seq in range(1, count + 1)
        )
        EmpathyMap.objects.filter(pk=empathy_map.pk).update(seq=count)

    await db(long_history)(2300)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.send({"type": "resume", "since": 7})
    replayed = await socket.collect(2293, "event", "resumed")
    assert [event["seq"] for event in replayed] == list(range(8, 2301))
    assert await socket.next("resumed") == {"type": "resumed", "seq": 2300}
    assert await socket.nothing()


async def test_live_events_continue_after_a_resume_without_duplicates(
    open_socket, tokens, bob, empathy_map
):
    await db(create_notes)(bob, empathy_map, 2)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.send({"type": "resume", "since": 0})
    await socket.next("resumed")
    await db(create_notes)(bob, empathy_map, 1)
    messages = []
    while not await socket.nothing(0.3):
        messages.append(await socket.receive())
    assert [message.get("seq") for message in messages if message["type"] == "event"] == [3]


async def test_a_resume_from_beyond_the_log_is_answered_with_the_true_seq(
    open_socket, tokens, bob, empathy_map
):
    await db(create_notes)(bob, empathy_map, 2)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.send({"type": "resume", "since": 40})
    assert await socket.next("resumed", "event") == {"type": "resumed", "seq": 2}
    await db(create_notes)(bob, empathy_map, 1)
    assert (await socket.next("event"))["seq"] == 3


@pytest.mark.parametrize("since", [-1, "3", None, 1.5, True])
async def test_a_resume_needs_a_whole_since(open_socket, tokens, empathy_map, since):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.send({"type": "resume", "since": since})
    error = await socket.next("error")
    assert error["code"] == "invalid"
    assert error["field"] == "since"
