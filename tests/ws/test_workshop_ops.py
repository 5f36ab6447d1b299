"""Workshop ops over the socket: note.stance, note.vote, note.unvote and comment.create go
through the same services as HTTP, are acked to the sender, sent to everyone as events, applied
once per op_id, and refused with invalid / forbidden / not_found naming the field."""

import pytest
from channels.db import database_sync_to_async as db

from maps import services
from maps.models import Comment, MapEvent, NoteStance, NoteVote
from maps.workshop import services as workshop
from tests.factories import MapFactory
from tests.ws.support import LIVE_DB

pytestmark = LIVE_DB


def create(actor, empathy_map, text="Existing note"):
    return services.note_create(actor=actor, map_id=empathy_map.pk, section="says", text=text)


def count(model, **filters):
    return model.objects.filter(**filters).count()


def open_vote(alice, empathy_map, **config):
    return workshop.map_vote_configure(actor=alice, map_id=empathy_map.pk, open=True, **config)


async def test_a_stance_is_acked_with_mine_and_sent_to_everyone_without(
    open_socket, tokens, bob, empathy_map
):
    note = await db(create)(bob, empathy_map)
    vera = await open_socket(empathy_map.pk, token=tokens["vera"])
    alice = await open_socket(empathy_map.pk, token=tokens["alice"])
    await vera.op("note.stance", {"id": note["id"], "stance": "agree"}, op_id="s1")
    event = await vera.next("event")
    ack = await vera.next("ack")
    assert (event["kind"], event["actor"], event["op_id"], event["stance"]) == (
        "note.stance",
        "vera",
        "s1",
        "agree",
    )
    assert event["note"]["agreement"] == {"agree": {"other": 1}, "disagree": {}, "mine": None}
    assert (ack["op_id"], ack["seq"]) == ("s1", event["seq"])
    assert ack["note"]["agreement"]["mine"] == "agree"
    assert await alice.next("event") == event


async def test_the_same_stance_op_twice_is_applied_once_and_acked_the_same(
    open_socket, tokens, bob, empathy_map
):
    note = await db(create)(bob, empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.op("note.stance", {"id": note["id"], "stance": "disagree"}, op_id="twice")
    first = await socket.next("ack")
    await socket.communicator.disconnect()
    again = await open_socket(empathy_map.pk, token=tokens["vera"])
    await again.op("note.stance", {"id": note["id"], "stance": "disagree"}, op_id="twice")
    assert await again.next("ack", "event") == first
    assert await db(count)(MapEvent, map=empathy_map, kind="note.stance") == 1


async def test_a_stance_that_changes_nothing_is_acked_without_an_event(
    open_socket, tokens, bob, vera, empathy_map
):
    note = await db(create)(bob, empathy_map)
    await db(workshop.note_stance_set)(actor=vera, note_id=note["id"], stance="agree")
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.op("note.stance", {"id": note["id"], "stance": "agree"}, op_id="same")
    ack = await socket.next("ack", "event")
    assert ack["type"] == "ack"
    assert ack["seq"] == 2
    assert ack["note"]["agreement"]["mine"] == "agree"
    assert await db(count)(MapEvent, map=empathy_map) == 2


async def test_votes_are_acked_with_mine_and_limited(open_socket, tokens, alice, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    await db(open_vote)(alice, empathy_map, per_person=1)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.op("note.vote", {"id": note["id"]}, op_id="v1")
    event = await socket.next("event")
    ack = await socket.next("ack")
    assert (event["kind"], event["delta"], event["note"]["votes"]) == (
        "note.voted",
        1,
        {"total": 1, "mine": None},
    )
    assert ack["note"]["votes"] == {"total": 1, "mine": 1}
    await socket.op("note.vote", {"id": note["id"]}, op_id="v1")  # a retry: applied once
    assert (await socket.next("ack", "event"))["seq"] == ack["seq"]
    await socket.op("note.vote", {"id": note["id"]}, op_id="v2")
    error = await socket.next("error", "ack")
    assert (error["type"], error["op_id"], error["code"]) == ("error", "v2", "invalid")
    assert (error["field"], error["reason"]) == ("votes", "no_votes_left")
    await socket.op("note.unvote", {"id": note["id"]}, op_id="u1")
    event = await socket.next("event")
    assert (event["delta"], event["note"]["votes"]["total"]) == (-1, 0)
    assert (await socket.next("ack"))["note"]["votes"] == {"total": 0, "mine": 0}
    assert not await db(NoteVote.objects.exists)()


async def test_a_vote_without_an_open_vote_is_refused(open_socket, tokens, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.op("note.vote", {"id": note["id"]}, op_id="closed")
    error = await socket.next("error", "ack")
    assert (error["code"], error["field"], error["reason"]) == ("invalid", "votes", "vote_closed")


async def test_a_blind_vote_reaches_others_with_no_note_and_the_voter_with_theirs(
    open_socket, tokens, alice, bob, empathy_map
):
    note = await db(create)(bob, empathy_map)
    await db(open_vote)(alice, empathy_map, blind=True)
    lead = await open_socket(empathy_map.pk, token=tokens["alice"])
    other = await open_socket(empathy_map.pk, token=tokens["bob"])
    voter = await open_socket(empathy_map.pk, token=tokens["vera"])
    await voter.op("note.vote", {"id": note["id"]}, op_id="blind-1")
    ack = await voter.next("ack")
    assert ack["note"]["votes"] == {"total": None, "mine": 1}
    for socket in (lead, other):
        event = await socket.next("event")
        assert (event["kind"], event["blind"], event["delta"]) == ("note.voted", True, 1)
        assert "note" not in event
    # The lead asks for totals by reading the map (or by voting: acks carry them for leads).
    await lead.op("note.vote", {"id": note["id"]}, op_id="blind-2")
    assert (await lead.next("ack"))["note"]["votes"] == {"total": 2, "mine": 1}


async def test_a_comment_is_acked_with_the_comment_and_sent_with_the_count(
    open_socket, tokens, bob, rita, empathy_map
):
    note = await db(create)(bob, empathy_map)
    watcher = await open_socket(empathy_map.pk, token=tokens["vera"])
    socket = await open_socket(empathy_map.pk, token=tokens["rita"])
    data = {"note": note["id"], "text": "Ask @bob about this"}
    await socket.op("comment.create", data, op_id="c1")
    event = await socket.next("event")
    ack = await socket.next("ack")
    assert (event["kind"], event["comments"], event["comment"]["text"]) == (
        "comment.created",
        1,
        "Ask @bob about this",
    )
    assert ack["comment"] == event["comment"]
    assert ack["note"]["comments"] == 1
    assert await watcher.next("event") == event
    await socket.op("comment.create", data, op_id="c1")
    assert await socket.next("ack", "event") == ack
    assert await db(count)(Comment, note_id=note["id"]) == 1


@pytest.mark.parametrize(
    ("action", "data", "field"),
    [
        ("note.stance", {"id": "NOTE", "stance": "perhaps"}, "stance"),
        ("note.stance", {"id": "NOTE"}, "stance"),
        ("note.stance", {"stance": "agree"}, "id"),
        ("note.vote", {"id": "7"}, "id"),
        ("note.unvote", {}, "id"),
        ("comment.create", {"note": "NOTE", "text": "  "}, "text"),
        ("comment.create", {"note": "NOTE"}, "text"),
        ("comment.create", {"text": "Hi"}, "note"),
    ],
)
async def test_invalid_data_is_refused_with_the_field(
    open_socket, tokens, bob, empathy_map, action, data, field
):
    note = await db(create)(bob, empathy_map)
    data = {name: note["id"] if value == "NOTE" else value for name, value in data.items()}
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    await socket.op(action, data, op_id="bad")
    error = await socket.next("error", "ack")
    assert (error["type"], error["op_id"], error["code"]) == ("error", "bad", "invalid")
    assert error["field"] == field
    assert await db(count)(MapEvent, map=empathy_map) == 1


async def test_a_viewer_may_not_comment(open_socket, tokens, bob, empathy_map):
    note = await db(create)(bob, empathy_map)
    socket = await open_socket(empathy_map.pk, token=tokens["vera"])
    await socket.op("comment.create", {"note": note["id"], "text": "Hi"}, op_id="nope")
    assert (await socket.next("error"))["code"] == "forbidden"
    assert not await db(Comment.objects.exists)()


async def test_a_note_of_another_map_or_workspace_is_not_found(
    open_socket, tokens, bob, mallory, empathy_map
):
    other_map = await db(MapFactory)(workspace=empathy_map.workspace)
    elsewhere = await db(create)(bob, other_map)
    mallorys_workspace = await db(lambda: mallory.memberships.get().workspace)()
    foreign_map = await db(MapFactory)(workspace=mallorys_workspace)
    foreign = await db(create)(mallory, foreign_map)
    socket = await open_socket(empathy_map.pk, token=tokens["bob"])
    for note_id, op_id in ((elsewhere["id"], "other-map"), (foreign["id"], "foreign")):
        await socket.op("note.stance", {"id": note_id, "stance": "agree"}, op_id=op_id)
        error = await socket.next("error")
        assert (error["op_id"], error["code"]) == (op_id, "not_found")
    assert not await db(NoteStance.objects.exists)()
