"""Who is on the map, and cursors relayed to the others, never stored."""

import asyncio

from channels.db import database_sync_to_async as db

from maps.models import MapEvent
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB

BOB = {"username": "bob", "name": "bob", "role": "editor", "team": "other"}
VERA = {"username": "vera", "name": "vera", "role": "viewer", "team": "other"}


async def test_a_joiner_is_announced_and_a_leaver_disappears_at_once(
    open_socket, tokens, empathy_map
):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    assert vera.welcome["presence"] == [BOB, VERA]
    assert await bob.next("presence") == {"type": "presence", "users": [BOB, VERA]}
    await vera.communicator.disconnect()
    assert await bob.next("presence", timeout=1) == {"type": "presence", "users": [BOB]}


async def test_several_tabs_of_one_person_are_one_user(open_socket, tokens, empathy_map):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    first_tab = await open_socket(empathy_map.pk, token=tokens["vera"])
    second_tab = await open_socket(empathy_map.pk, token=tokens["vera"])
    assert second_tab.welcome["presence"] == [BOB, VERA]
    assert await bob.next("presence") == {"type": "presence", "users": [BOB, VERA]}
    await first_tab.communicator.disconnect()
    assert await bob.nothing(0.3)
    await second_tab.communicator.disconnect()
    assert await bob.next("presence") == {"type": "presence", "users": [BOB]}


async def test_a_cursor_is_relayed_to_the_others_and_never_stored(open_socket, tokens, empathy_map):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    await bob.next("presence")
    await bob.send({"type": "cursor", "x": 0.25, "y": 0.5, "note": 7, "user": "alice"})
    assert await vera.next("cursor") == {
        "type": "cursor",
        "user": "bob",
        "x": 0.25,
        "y": 0.5,
        "note": 7,
    }
    assert await bob.nothing()
    assert await db(MapEvent.objects.count)() == 0


async def test_cursors_over_the_rate_are_dropped_not_queued(
    open_socket, tokens, empathy_map, settings
):
    assert settings.WS_CURSOR_RATE == 20
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    for number in range(35):
        await bob.send({"type": "cursor", "n": number})
    relayed = []
    while not await vera.nothing(0.3):
        message = await vera.receive()
        if message["type"] == "cursor":
            relayed.append(message["n"])
    assert relayed == list(range(20))
    # A second later the budget is back.
    await asyncio.sleep(1.0)
    await bob.send({"type": "cursor", "n": "later"})
    assert (await vera.next("cursor"))["n"] == "later"


async def test_an_oversized_cursor_is_dropped(open_socket, tokens, empathy_map):
    bob = await open_socket(empathy_map.pk, token=tokens["bob"])
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    await bob.send({"type": "cursor", "blob": "x" * 5000})
    await bob.send({"type": "cursor", "x": 1})
    assert (await vera.next("cursor")) == {"type": "cursor", "user": "bob", "x": 1}


async def test_a_socket_that_asks_for_changes_gets_who_joined_and_who_left(
    open_socket, tokens, empathy_map
):
    # `?presence=diff`: after the welcome's whole list, each change as a `presence.diff`, so a
    # join on a crowded map costs every such socket one entry, not the whole list again.
    bob = await open_socket(empathy_map.pk, token=tokens["bob"], query="presence=diff")
    assert bob.welcome["presence"] == [BOB]
    whole = await open_socket(empathy_map.pk, token=tokens["rita"])  # asks for nothing
    rita = {"username": "rita", "name": "rita", "role": "researcher", "team": "other"}
    # Only diffs, in order: `receive`, not `next`, so that a whole list would show.
    assert await bob.receive() == {
        "type": "presence.diff",
        "joined": [rita],
        "left": [],
    }
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    assert await bob.receive() == {
        "type": "presence.diff",
        "joined": [VERA],
        "left": [],
    }
    assert (await whole.next("presence"))["users"] == [BOB, rita, VERA]
    await vera.communicator.disconnect()
    assert await bob.receive(timeout=1) == {
        "type": "presence.diff",
        "joined": [],
        "left": ["vera"],
    }
    assert (await whole.next("presence", timeout=1))["users"] == [BOB, rita]
    assert await bob.nothing()  # no list, and no empty diff


def test_a_diff_is_made_once_for_every_socket_that_had_the_same_list():
    from maps.feeds import PresenceRound, presence_diff

    before = [{"username": "bob"}, {"username": "vera", "role": "viewer"}]
    after = [{"username": "alice"}, {"username": "vera", "role": "editor"}]
    assert presence_diff(before, after) == {
        "type": "presence.diff",
        "joined": [{"username": "alice"}, {"username": "vera", "role": "editor"}],
        "left": ["bob"],
    }
    assert presence_diff(after, list(after)) is None
    round_ = PresenceRound(after)
    assert round_.diff_from(before) is round_.diff_from(before)
    assert round_.diff_from([]) is not round_.diff_from(before)
    assert round_.diff_from(after) is None


def test_lists_read_one_after_the_other_share_each_persons_entry():
    # Sockets that get diffs keep their last list, one per join batch until the next round:
    # those lists hold one entry per person between them, not one per list.
    from maps.feeds import MapFeed

    feed = MapFeed(layer=None, map_id=1, registry={})
    first = feed.share_entries([{"username": "bob", "role": "editor"}])
    second = feed.share_entries(
        [{"username": "bob", "role": "editor"}, {"username": "vera", "role": "viewer"}]
    )
    third = feed.share_entries([{"username": "bob", "role": "lead"}])
    assert second[0] is first[0]
    assert third[0] is not first[0] and third[0] == {"username": "bob", "role": "lead"}
