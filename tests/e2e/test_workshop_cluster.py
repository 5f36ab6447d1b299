"""The workshop across two daphne processes over Redis: stances, votes and comments made on
either process reach every client in one gap-free stream; a blind vote reaches them with no
note and no total."""

import asyncio

import pytest

from tests.e2e.board import BoardClient, assert_converged, wait_until
from tests.e2e.processes import api

pytestmark = pytest.mark.e2e


async def test_stances_votes_and_comments_converge_across_processes(cluster):
    first, second = cluster.start(2)
    map_id = await asyncio.to_thread(cluster.create_map, first)
    tokens = cluster.tokens
    alice = await BoardClient("alice", tokens["alice"], map_id, [first]).start()
    bob = await BoardClient("bob", tokens["bob"], map_id, [second]).start()
    vera = await BoardClient("vera", tokens["vera"], map_id, [second]).start()
    clients = [alice, bob, vera]

    note = (await bob.ack(await bob.op("note.create", {"section": "says", "text": "Bob's"})))[
        "note"
    ]
    status, _ = await asyncio.to_thread(
        api, first, tokens["alice"], "PATCH", f"/api/v1/maps/{map_id}/", {"vote": {"open": True}}
    )
    assert status == 200
    stance = await vera.ack(await vera.op("note.stance", {"id": note["id"], "stance": "agree"}))
    assert stance["note"]["agreement"]["mine"] == "agree"
    await alice.ack(await alice.op("note.stance", {"id": note["id"], "stance": "disagree"}))
    voted = await vera.ack(await vera.op("note.vote", {"id": note["id"]}))
    assert voted["note"]["votes"] == {"total": 1, "mine": 1}
    await alice.ack(await alice.op("note.vote", {"id": note["id"]}))
    comment = await bob.ack(
        await bob.op("comment.create", {"note": note["id"], "text": "@vera where from?"})
    )
    assert comment["comment"]["author"] == "bob"

    state = await assert_converged(cluster, first, map_id, clients)
    (stored,) = state["notes"]
    # One agreement (vera) and one disagreement (alice), under whatever teams earlier tests on
    # this shared cluster gave them.
    assert sum(stored["agreement"]["agree"].values()) == 1
    assert sum(stored["agreement"]["disagree"].values()) == 1
    assert (stored["votes"]["total"], stored["comments"]) == (2, 1)
    assert [event["kind"] for event in bob.events] == [
        "note.created",
        "map.updated",
        "note.stance",
        "note.stance",
        "note.voted",
        "note.voted",
        "comment.created",
    ]

    # A blind vote: everyone's stream says a vote happened, and nothing about which note.
    status, _ = await asyncio.to_thread(
        api,
        second,
        tokens["alice"],
        "PATCH",
        f"/api/v1/maps/{map_id}/",
        {"vote": {"open": False}},
    )
    assert status == 200
    status, _ = await asyncio.to_thread(
        api,
        second,
        tokens["alice"],
        "PATCH",
        f"/api/v1/maps/{map_id}/",
        {"vote": {"open": True, "blind": True}},
    )
    assert status == 200
    await vera.ack(await vera.op("note.vote", {"id": note["id"]}))
    await wait_until(lambda: all(client.seq == vera.seq for client in clients), what="the vote")
    for client in clients:
        blind = client.events[-1]
        assert (blind["kind"], blind["blind"], blind["delta"]) == ("note.voted", True, 1)
        assert "note" not in blind
    assert alice.events == bob.events == vera.events
