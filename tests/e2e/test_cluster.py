"""Several daphne processes serve one map through Redis: every client, on whichever process,
sees every change made through any other, in one gap-free stream, and ends with the database's
notes."""

import asyncio
import random

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.e2e.board import BoardClient, assert_converged, wait_until
from tests.e2e.processes import api

pytestmark = pytest.mark.e2e


async def test_every_change_through_either_process_reaches_every_client(cluster):
    first, second = cluster.start(2)
    map_id = await asyncio.to_thread(cluster.create_map, first)
    tokens = cluster.tokens
    bob = await BoardClient("bob", tokens["bob"], map_id, [first]).start()
    alice = await BoardClient("alice", tokens["alice"], map_id, [second]).start()
    vera = await BoardClient("vera", tokens["vera"], map_id, [second]).start()
    clients = [bob, alice, vera]
    await wait_until(
        lambda: all(client.presence == {"alice", "bob", "vera"} for client in clients),
        what="presence across processes",
    )

    created = await bob.ack(await bob.op("note.create", {"section": "says", "text": "Bob's"}))
    note = created["note"]
    edit = {"id": note["id"], "version": note["version"], "text": "Edited by alice"}
    await alice.ack(await alice.op("note.update", edit))
    status, _ = await asyncio.to_thread(
        api,
        second,
        tokens["alice"],
        "POST",
        f"/api/v1/maps/{map_id}/notes/",
        {"section": "feels", "text": "Through HTTP"},
    )
    assert status == 201
    status, _ = await asyncio.to_thread(
        api, first, tokens["bob"], "PATCH", f"/api/v1/notes/{note['id']}/", {"section": "pains"}
    )
    assert status == 200
    await vera.op("note.create", {"section": "says", "text": "A viewer may not"})

    await wait_until(lambda: vera.errors, what="vera's refusal")
    assert vera.errors[0]["code"] == "forbidden"
    vera.errors.clear()
    await assert_converged(cluster, first, map_id, clients)
    assert [event["kind"] for event in vera.events] == [
        "note.created",
        "note.updated",
        "note.created",
        "note.moved",
    ]

    await vera.stop()  # she closes the tab: gone at once, on both processes
    await wait_until(
        lambda: bob.presence == alice.presence == {"alice", "bob"},
        timeout=2,
        what="vera to leave",
    )

    # A page on another site cannot open a socket, whatever credentials it carries.
    with pytest.raises(InvalidStatus):
        async with connect(
            f"ws://127.0.0.1:{first}/ws/maps/{map_id}/",
            origin="https://evil.example",
            additional_headers={"Authorization": f"Token {tokens['bob']}"},
        ):
            pass


async def test_three_clients_writing_200_ops_at_once_converge(cluster):
    first, second = cluster.start(2)
    map_id = await asyncio.to_thread(cluster.create_map, first)
    ports = {"alice": [first], "bob": [second], "carol": [first]}
    clients = [
        await BoardClient(name, cluster.tokens[name], map_id, ports[name]).start() for name in ports
    ]
    sections = ["says", "thinks", "does", "feels", "pains"]

    async def write(client: BoardClient, rng: random.Random) -> None:
        creates = []
        for number in range(45):
            data = {"section": rng.choice(sections), "text": f"{client.name} {number}"}
            creates.append(await client.op("note.create", data))
        # Then edit or delete its own notes, each with the version its create was acked with.
        for number, op_id in enumerate(creates[:22]):
            note = (await client.ack(op_id))["note"]
            if number % 3 == 2:
                await client.op("note.delete", {"id": note["id"], "version": note["version"]})
            else:
                edit = {"id": note["id"], "version": note["version"], "text": "edited"}
                await client.op("note.update", edit)

    await asyncio.gather(
        *(write(client, random.Random(number)) for number, client in enumerate(clients))
    )
    state = await assert_converged(cluster, first, map_id, clients)
    assert sum(len(client.acks) for client in clients) == 3 * 67
    assert state["seq"] == 3 * 67
    assert len(state["notes"]) == 3 * (45 - 7)
