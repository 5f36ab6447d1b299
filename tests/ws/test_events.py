"""Every change to a map reaches every socket as an `event`, in seq order without gaps,
after its transaction commits, whatever the channel layer loses or reorders."""

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db
from channels.layers import get_channel_layer
from django.db import transaction

from maps import selectors, services
from maps.events import map_group
from tests.ws.support import LIVE_DB, seq_is

pytestmark = LIVE_DB


def create(actor, empathy_map, text="I just want the numbers to add up", **fields):
    return services.note_create(
        actor=actor, map_id=empathy_map.pk, section="says", text=text, **fields
    )


async def test_an_http_change_reaches_every_socket_with_the_whole_note(
    open_socket, tokens, api, alice, empathy_map
):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    response = await db(api(alice).post)(
        f"/api/v1/maps/{empathy_map.pk}/notes/", {"section": "says", "text": "Hello"}
    )
    assert response.status_code == 201
    for socket in (bob, vera):
        event = await socket.next("event")
        assert event["seq"] == 1
        assert event["kind"] == "note.created"
        assert event["actor"] == "alice"
        assert event["op_id"] is None
        assert event["at"].endswith("Z")
        assert event["note"] == response.data


async def test_events_come_in_strictly_increasing_seq(open_socket, tokens, bob, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    note = await db(create)(bob, empathy_map)
    await db(services.note_update)(actor=bob, note_id=note["id"], version=1, text="Edited")
    await db(services.note_update)(actor=bob, note_id=note["id"], section="pains")
    await db(services.note_delete)(actor=bob, note_id=note["id"])
    await db(services.note_restore)(actor=bob, note_id=note["id"])
    events = await socket.collect(5, "event")
    assert [event["seq"] for event in events] == [1, 2, 3, 4, 5]
    assert [event["kind"] for event in events] == [
        "note.created",
        "note.updated",
        "note.moved",
        "note.deleted",
        "note.restored",
    ]
    assert events[-1]["note"]["version"] == 5
    assert await socket.nothing()


async def test_nothing_is_sent_before_the_transaction_commits(
    open_socket, tokens, bob, empathy_map
):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])

    def change_and_look():
        with transaction.atomic():
            create(bob, empathy_map)
            assert async_to_sync(socket.nothing)(0.3)

    await db(change_and_look)()
    assert (await socket.next("event"))["seq"] == 1


async def test_nothing_is_sent_for_a_change_that_is_rolled_back(
    open_socket, tokens, bob, empathy_map
):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])

    def change_then_fail():
        with transaction.atomic():
            create(bob, empathy_map, text="Never happened")
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await db(change_then_fail)()
    assert await socket.nothing(0.3)
    await db(create)(bob, empathy_map, text="This one counts")
    event = await socket.next("event")
    assert (event["seq"], event["note"]["text"]) == (1, "This one counts")


async def test_the_server_fills_a_gap_the_layer_left(
    open_socket, tokens, bob, empathy_map, sent_to_layer
):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    sent_to_layer.drop.append(seq_is(2, 3))
    for text in ("one", "two", "three", "four"):
        await db(create)(bob, empathy_map, text=text)
    events = await socket.collect(4, "event")
    assert [(event["seq"], event["note"]["text"]) for event in events] == [
        (1, "one"),
        (2, "two"),
        (3, "three"),
        (4, "four"),
    ]
    assert await socket.nothing()


async def test_a_lost_last_event_arrives_by_the_next_tick(
    open_socket, tokens, bob, empathy_map, sent_to_layer, settings
):
    settings.PRESENCE_TTL_SECONDS = 2  # a tick every half second
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    sent_to_layer.drop.append(seq_is(1))
    await db(create)(bob, empathy_map)
    event = await socket.next("event", timeout=3)
    assert event["seq"] == 1


async def test_a_duplicate_from_the_layer_is_dropped(open_socket, tokens, bob, empathy_map):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await db(create)(bob, empathy_map)
    first = await socket.next("event")
    await get_channel_layer().group_send(
        map_group(empathy_map.pk), {"type": "map.event", "event": first}
    )
    assert await socket.nothing(0.3)


async def test_events_the_layer_reorders_are_sent_in_order_once(
    open_socket, tokens, bob, empathy_map, sent_to_layer
):
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    sent_to_layer.hold = True
    for text in ("one", "two", "three"):
        await db(create)(bob, empathy_map, text=text)
    layer = get_channel_layer()
    for group, message in reversed(sent_to_layer.held):
        await layer.group_send(group, message)
    events = await socket.collect(3, "event")
    assert [event["seq"] for event in events] == [1, 2, 3]
    assert await socket.nothing(0.3)


async def test_a_link_change_carries_the_link_and_the_notes_new_state(
    open_socket, tokens, rita, bob, empathy_map
):
    from research import services as research_services
    from tests.factories import EvidenceFactory, SourceFactory

    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    note = await db(create)(bob, empathy_map)
    await socket.next("event")

    def link():
        source = SourceFactory(workspace=empathy_map.workspace)
        evidence = EvidenceFactory(source=source)
        return research_services.link_create(
            actor=rita, note_id=note["id"], evidence_id=evidence.pk, stance="supports"
        )

    await db(link)()
    event = await socket.next("event")
    assert event["kind"] == "link.created"
    assert event["link"]["stance"] == "supports"
    assert event["note"]["status"] == "supported"
    assert event["note"] == await db(selectors.note_data)(note["id"])
