"""maps/presence.py on Redis: entries live only as long as their heartbeats."""

import asyncio
import uuid

from maps.presence import RedisPresence

BOB = {"username": "bob", "name": "bob", "role": "editor"}
VERA = {"username": "vera", "name": "vera", "role": "viewer"}


async def test_redis_presence_forgets_a_dead_process_within_the_ttl(redis_url, settings):
    # A process that dies leaves its entries behind; the next heartbeat of any live socket on
    # the map removes those not refreshed for half the TTL, and says the set changed.
    settings.PRESENCE_TTL_SECONDS = 2
    store = RedisPresence(redis_url, f"test{uuid.uuid4().hex[:12]}")
    try:
        await store.touch(1, "dead-process-socket", VERA)
        assert await store.touch(1, "live-socket", BOB) is True
        assert await store.users(1) == [BOB, VERA]
        await asyncio.sleep(0.6)
        assert await store.touch(1, "live-socket", BOB) is False
        await asyncio.sleep(0.6)
        assert await store.users(1) == [BOB]  # stale already, even before it is pruned
        assert await store.touch(1, "live-socket", BOB) is True
        await store.leave(1, "live-socket")
        assert await store.users(1) == []
    finally:
        await store.close()


async def test_redis_presence_copes_with_thousands_of_sockets(redis_url, settings):
    settings.PRESENCE_TTL_SECONDS = 2
    store = RedisPresence(redis_url, f"test{uuid.uuid4().hex[:12]}")
    try:
        for number in range(1200):
            await store.touch(1, f"socket-{number}", {"username": f"user{number:04}"})
        assert len(await store.users(1)) == 1200
        await asyncio.sleep(1.1)
        assert await store.touch(1, "survivor", BOB) is True  # pruned 1,200 at once
        assert await store.users(1) == [BOB]
    finally:
        await store.close()
