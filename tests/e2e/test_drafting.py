"""Private drafting across two daphne processes over Redis: a member of another team never
receives a byte of a hidden note, its lead and its own team get all of it, and the reveal
reaches every open connection.

bob is in product; carol and vera are in design; alice leads. The sockets are spread over both
processes so every event crosses Redis to reach some of them.
"""

import asyncio
import json

import pytest

from tests.e2e.board import BoardClient, wait_until
from tests.e2e.processes import api

pytestmark = pytest.mark.e2e

MARK = "zq-hidden-draft-5b7e19"
PLACEHOLDER_KEYS = {"type", "seq", "kind", "at"}


async def call(port, token, method, path, body=None):
    return await asyncio.to_thread(api, port, token, method, path, body)


async def test_another_team_never_receives_a_byte_of_a_hidden_note(cluster):
    first, second = cluster.start(2)
    tokens = cluster.tokens
    slug = cluster.seed["workspace"]
    map_id = await asyncio.to_thread(cluster.create_map, first, "Drafting board")
    for username, team in {"bob": "product", "carol": "design", "vera": "design"}.items():
        status, body = await call(
            first,
            tokens["alice"],
            "PATCH",
            f"/api/v1/workspaces/{slug}/members/{username}/",
            {"team": team},
        )
        assert status == 200, body
    status, body = await call(
        second, tokens["alice"], "PATCH", f"/api/v1/maps/{map_id}/", {"phase": "drafting"}
    )
    assert (status, body["phase"]) == (200, "drafting")

    bob = await BoardClient("bob", tokens["bob"], map_id, [first]).start()
    carol = await BoardClient("carol", tokens["carol"], map_id, [second]).start()
    vera = await BoardClient("vera", tokens["vera"], map_id, [first]).start()
    alice = await BoardClient("alice", tokens["alice"], map_id, [second]).start()
    clients = [bob, carol, vera, alice]

    # carol drafts over her socket and over HTTP through the other process, edits and moves it.
    created = await carol.ack(await carol.op("note.create", {"section": "says", "text": MARK}))
    note = created["note"]
    assert note["team"] == "design"
    edit = {"id": note["id"], "version": note["version"], "text": f"{MARK} (edited)"}
    await carol.ack(await carol.op("note.update", edit))
    await carol.ack(await carol.op("note.update", {"id": note["id"], "section": "feels"}))
    status, second_note = await call(
        first,
        tokens["carol"],
        "POST",
        f"/api/v1/maps/{map_id}/notes/",
        {"section": "pains", "text": f"{MARK} via HTTP"},
    )
    assert status == 201
    # bob drafts his own, which design must not see either.
    bob_note = (await bob.ack(await bob.op("note.create", {"section": "does", "text": "Bob's"})))[
        "note"
    ]
    # bob tries the hidden note by its id: as for a non-member.
    await bob.op("note.update", {"id": note["id"], "version": 3, "text": "Taken over"})
    await wait_until(lambda: bob.errors, what="bob's refusal")
    assert bob.errors[0]["code"] == "not_found"
    bob.errors.clear()

    state = await asyncio.to_thread(cluster.map_state, first, map_id)
    await wait_until(
        lambda: all(client.seq == state["seq"] for client in clients),
        what=f"every client at seq {state['seq']}",
    )
    for client in clients:
        assert [event["seq"] for event in client.events] == list(range(1, state["seq"] + 1))
        assert client.violations == [], client.name

    # Not a byte of it for product: every frame bob received, parsed or not.
    assert not any(MARK in frame for frame in bob.received)
    hidden_seqs = {
        event["seq"]
        for event in alice.events
        if event.get("note", {}).get("id") in (note["id"], second_note["id"])
    }
    assert len(hidden_seqs) == 4
    for event in bob.events:
        if event["seq"] in hidden_seqs:
            assert set(event) == PLACEHOLDER_KEYS
            assert event["kind"] == "hidden"
    # All of it for the lead and for design, on either process.
    for client in (alice, carol, vera):
        assert sum(MARK in frame for frame in client.received) >= 4, client.name
    assert not any("Bob's" in frame for frame in vera.received + carol.received)
    assert any("Bob's" in frame for frame in alice.received)

    # Over HTTP, through either process, and on a fresh socket resuming from 0.
    for port in (first, second):
        status, detail = await call(port, tokens["bob"], "GET", f"/api/v1/maps/{map_id}/")
        assert status == 200
        assert MARK not in json.dumps(detail)
        assert detail["hidden"] == {"design": 2}
        assert [n["id"] for n in detail["notes"]] == [bob_note["id"]]
        status, events = await call(port, tokens["bob"], "GET", f"/api/v1/maps/{map_id}/events/")
        assert MARK not in json.dumps(events)
    late = await BoardClient("bob", tokens["bob"], map_id, [second]).start()
    assert late.seq == state["seq"]
    assert not any(MARK in frame for frame in late.received)

    # The reveal reaches every open connection, on both processes; then everything is shown.
    status, _ = await call(
        first, tokens["alice"], "PATCH", f"/api/v1/maps/{map_id}/", {"phase": "open"}
    )
    assert status == 200
    for client in [*clients, late]:
        await wait_until(
            lambda client=client: client.events[-1:]
            and client.events[-1]["kind"] == "map.updated"
            and client.events[-1]["map"]["phase"] == "open",
            what=f"{client.name} to see the reveal",
        )
    status, detail = await call(second, tokens["bob"], "GET", f"/api/v1/maps/{map_id}/")
    assert MARK in json.dumps(detail)
    assert detail["hidden"] == {}
    assert len(detail["notes"]) == 3
    edit = {"id": note["id"], "version": 3, "text": f"{MARK} revealed"}
    await carol.ack(await carol.op("note.update", edit))
    await wait_until(lambda: any(f"{MARK} revealed" in f for f in bob.received), what="live edit")
    await late.stop()
