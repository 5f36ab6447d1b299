"""Faults: a server process dies, Redis restarts. Clients reconnect, to any process, resume,
and end with the database's notes, nothing lost and nothing applied twice."""

import asyncio

import pytest

from tests.e2e.board import BoardClient, assert_converged, close_all, wait_until
from tests.e2e.processes import PRESENCE_TTL_SECONDS

pytestmark = pytest.mark.e2e


async def stream(client: BoardClient, count: int, *, pause: float) -> None:
    for number in range(count):
        await client.op("note.create", {"section": "says", "text": f"{client.name} {number}"})
        await asyncio.sleep(pause)


async def test_a_killed_process_loses_nothing(cluster):
    first, second = cluster.start(2)
    map_id = await asyncio.to_thread(cluster.create_map, first)
    tokens = cluster.tokens
    bob = await BoardClient("bob", tokens["bob"], map_id, [first, second]).start()
    # vera's tab is on the process that dies, and she does not come back.
    await BoardClient("vera", tokens["vera"], map_id, [first], reconnect=False).start()
    alice = await BoardClient("alice", tokens["alice"], map_id, [second]).start()
    await wait_until(lambda: alice.presence == {"alice", "bob", "vera"}, what="presence")

    writing = asyncio.gather(stream(bob, 80, pause=0.01), stream(alice, 30, pause=0.03))
    await wait_until(lambda: len(bob.acks) >= 20, what="bob's stream to start")
    cluster.server(first).kill()
    await writing

    state = await assert_converged(cluster, second, map_id, [bob, alice])
    assert len(state["notes"]) == 110  # each op applied exactly once
    assert bob.connections >= 2
    # vera's tab was on the dead process: she leaves within the presence TTL.
    await wait_until(
        lambda: alice.presence == bob.presence == {"alice", "bob"},
        timeout=PRESENCE_TTL_SECONDS + 2,
        what="the dead process's users to leave",
    )
    await close_all([bob, alice])  # else the survivor's shutdown waits for their sockets


async def test_everyone_converges_across_a_redis_restart(private_cluster, private_redis):
    first, second = private_cluster.start(2)
    map_id = await asyncio.to_thread(private_cluster.create_map, first)
    tokens = private_cluster.tokens
    clients = [
        await BoardClient(name, tokens[name], map_id, ports).start()
        for name, ports in [
            ("bob", [first, second]),
            ("alice", [second, first]),
            ("carol", [first, second]),
        ]
    ]
    everyone = {"alice", "bob", "carol"}
    await wait_until(lambda: all(c.presence == everyone for c in clients), what="presence")

    writing = asyncio.gather(*(stream(client, 50, pause=0.04) for client in clients))
    await wait_until(lambda: sum(len(c.acks) for c in clients) >= 20, what="streams to start")
    await asyncio.to_thread(private_redis.restart, down_for=1.0)
    await writing

    state = await assert_converged(private_cluster, first, map_id, clients)
    assert len(state["notes"]) == 150
    await wait_until(
        lambda: all(c.presence == everyone for c in clients),
        timeout=PRESENCE_TTL_SECONDS,
        what="presence after the restart",
    )
    # And live events flow again through the rebuilt groups.
    await clients[0].ack(await clients[0].op("note.create", {"section": "says", "text": "After"}))
    await assert_converged(private_cluster, second, map_id, clients, timeout=5)
    await close_all(clients)
