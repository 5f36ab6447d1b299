"""Who is on a map, across server processes (contract: websocket `presence`).

With Redis (`REDIS_URL`), every open socket is an entry in a sorted set per map, scored with the
Redis clock at its last heartbeat, and its user in a hash beside it. Each socket beats every
PRESENCE_TTL_SECONDS/4; an entry not refreshed for PRESENCE_TTL_SECONDS/2 belongs to a server
process that died, and the next heartbeat of any socket on that map removes it. So a closed tab
leaves at once (its consumer removes it) and a dead process's users leave within
PRESENCE_TTL_SECONDS. Without Redis there is one process, and a dict in memory is enough.

Callers treat every method as fallible (Redis may be restarting) and retry on the next beat.
"""

import asyncio
import json
import weakref

import redis.asyncio as aioredis
from django.conf import settings

# Refresh the callers' entries (ARGV[3..]: connection, user, connection, user, ...), prune
# entries gone stale, and say whether the set changed.
TOUCH_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local changed = 0
for i = 3, #ARGV, 2 do
  changed = changed + redis.call('ZADD', KEYS[1], now, ARGV[i])
  if redis.call('HGET', KEYS[2], ARGV[i]) ~= ARGV[i + 1] then
    redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
    changed = changed + 1
  end
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
for i = 1, #stale, 500 do
  local chunk = {unpack(stale, i, math.min(i + 499, #stale))}
  redis.call('ZREM', KEYS[1], unpack(chunk))
  redis.call('HDEL', KEYS[2], unpack(chunk))
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[2])
return changed + #stale
"""

# The users of the entries that are still fresh.
USERS_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now - tonumber(ARGV[1]), '+inf')
local users = {}
for i = 1, #live, 500 do
  local found = redis.call('HMGET', KEYS[2], unpack(live, i, math.min(i + 499, #live)))
  for _, user in ipairs(found) do
    if user then
      table.insert(users, user)
    end
  end
end
return users
"""


def heartbeat_seconds() -> float:
    return settings.PRESENCE_TTL_SECONDS / 4


def stale_seconds() -> float:
    return settings.PRESENCE_TTL_SECONDS / 2


def distinct_users(users) -> list[dict]:
    """One entry per user however many tabs they have open, in username order."""
    by_name = {}
    for user in users:
        if user and user.get("username"):
            by_name[user["username"]] = user
    return [by_name[name] for name in sorted(by_name)]


class MemoryPresence:
    """One process (the in-memory channel layer): sockets leave through their own consumer."""

    def __init__(self):
        self.maps: dict[int, dict[str, dict]] = {}

    async def touch(self, map_id: int, connection: str, user: dict) -> bool:
        return await self.touch_many(map_id, [(connection, user)])

    async def touch_many(self, map_id: int, entries: list[tuple[str, dict]]) -> bool:
        connections = self.maps.setdefault(map_id, {})
        changed = False
        for connection, user in entries:
            changed = changed or connections.get(connection) != user
            connections[connection] = user
        return changed

    async def leave(self, map_id: int, connection: str) -> None:
        connections = self.maps.get(map_id, {})
        connections.pop(connection, None)
        if not connections:
            self.maps.pop(map_id, None)

    async def users(self, map_id: int) -> list[dict]:
        return distinct_users(self.maps.get(map_id, {}).values())


class RedisPresence:
    """Many processes: entries in Redis that live only as long as their heartbeats."""

    def __init__(self, url: str, prefix: str):
        self.url = url
        self.prefix = prefix
        # redis.asyncio clients belong to the event loop that made them.
        self.clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        client = self.clients.get(loop)
        if client is None:
            client = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=15
            )
            self.clients[loop] = client
        return client

    def keys(self, map_id: int) -> list[str]:
        base = f"{self.prefix}:presence:{map_id}"
        return [base, f"{base}:users"]

    async def touch(self, map_id: int, connection: str, user: dict) -> bool:
        return await self.touch_many(map_id, [(connection, user)])

    async def touch_many(self, map_id: int, entries: list[tuple[str, dict]]) -> bool:
        """Beat these sockets' entries in one round trip: a join storm's batch, or every socket
        of a map in this process on a heartbeat."""
        pairs = [value for connection, user in entries for value in (connection, json.dumps(user))]
        changed = await self.client().eval(
            TOUCH_SCRIPT,
            2,
            *self.keys(map_id),
            stale_seconds(),
            int(settings.PRESENCE_TTL_SECONDS * 4),
            *pairs,
        )
        return bool(changed)

    async def leave(self, map_id: int, connection: str) -> None:
        sockets, users = self.keys(map_id)
        async with self.client().pipeline(transaction=True) as pipe:
            await pipe.zrem(sockets, connection).hdel(users, connection).execute()

    async def users(self, map_id: int) -> list[dict]:
        found = await self.client().eval(USERS_SCRIPT, 2, *self.keys(map_id), stale_seconds())
        return distinct_users(json.loads(value) for value in found if value)

    async def close(self) -> None:
        """Close this event loop's client (tests, which run one loop per test)."""
        client = self.clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


_memory_presence = MemoryPresence()
_redis_presence: dict[tuple[str, str], RedisPresence] = {}


def layer_prefix() -> str:
    config = settings.CHANNEL_LAYERS.get("default", {}).get("CONFIG", {})
    return config.get("prefix", "asgi")


def get_presence() -> MemoryPresence | RedisPresence:
    """Redis when the channel layer is shared through REDIS_URL, else this process's memory."""
    if not settings.REDIS_URL:
        return _memory_presence
    key = (settings.REDIS_URL, layer_prefix())
    if key not in _redis_presence:
        _redis_presence[key] = RedisPresence(*key)
    return _redis_presence[key]
