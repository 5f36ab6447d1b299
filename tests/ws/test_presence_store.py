"""maps/presence.py on Redis: entries live only as long as their heartbeats."""

import uuid

from maps.presence import RedisPresence

BOB = {"username": "bob", "name": "bob", "role": "editor"}
VERA = {"username": "vera", "name": "vera", "role": "viewer"}
# Stale after half of it: 30 s, far more than any pause of a loaded machine between two steps.
TTL = 60


async def age(store: RedisPresence, map_id: int, seconds: float) -> None:
    """Every entry's last heartbeat, `seconds` earlier: time passing, without waiting for it."""
    sockets, _users = store.keys(map_id)
    client = store.client()
    entries = await client.zrange(sockets, 0, -1, withscores=True)
    await client.zadd(sockets, {member: score - seconds for member, score in entries})


async def test_redis_presence_forgets_a_dead_process_within_the_ttl(redis_url, settings):
    # A process that dies leaves its entries behind; the next heartbeat of any live socket on
    # the map removes those not refreshed for half the TTL, and says the set changed.
    settings.PRESENCE_TTL_SECONDS = TTL
    store = RedisPresence(redis_url, f"test{uuid.uuid4().hex[:12]}")
    try:
        await store.touch(1, "dead-process-socket", VERA)
        assert await store.touch(1, "live-socket", BOB) is True
        assert await store.users(1) == [BOB, VERA]
        await age(store, 1, 0.3 * TTL)
        assert await store.touch(1, "live-socket", BOB) is False  # nobody stale yet
        await age(store, 1, 0.3 * TTL)
        assert await store.users(1) == [BOB]  # stale already, even before it is pruned
        assert await store.touch(1, "live-socket", BOB) is True
        await store.leave(1, "live-socket")
        assert await store.users(1) == []
    finally:
        await store.close()


async def test_redis_presence_copes_with_thousands_of_sockets(redis_url, settings):
    settings.PRESENCE_TTL_SECONDS = TTL
    store = RedisPresence(redis_url, f"test{uuid.uuid4().hex[:12]}")
    try:
        # One round trip for all of them, as a feed beats its sockets (and a join storm's batch).
        entries = [(f"socket-{number}", {"username": f"user{number:04}"}) for number in range(1200)]
        assert await store.touch_many(1, entries) is True
        assert len(await store.users(1)) == 1200
        assert await store.touch_many(1, entries[:600]) is False  # beaten again: no change
        await age(store, 1, 0.6 * TTL)
        assert await store.touch(1, "survivor", BOB) is True  # pruned 1,200 at once
        assert await store.users(1) == [BOB]
    finally:
        await store.close()


async def test_redis_presence_counts_a_changed_user_as_a_change(redis_url, settings):
    # A role change re-announces who is here.
    store = RedisPresence(redis_url, f"test{uuid.uuid4().hex[:12]}")
    try:
        assert await store.touch_many(1, [("bob-socket", BOB), ("vera-socket", VERA)]) is True
        assert await store.touch_many(1, [("bob-socket", BOB)]) is False
        assert await store.touch_many(1, [("bob-socket", {**BOB, "role": "viewer"})]) is True
        assert await store.users(1) == [{**BOB, "role": "viewer"}, VERA]
    finally:
        await store.close()
