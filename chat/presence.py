"""
Who is in a room, across every server process.

Each connection registers itself with an expiry and refreshes it on a
heartbeat. A participant (a user, or a guest's browser session) is online
while at least one of their connections is registered, so two tabs count
once. When a server process dies its connections stop refreshing; any live
connection in the room sweeps expired entries on its own heartbeat and
announces who left, so a dead process's users drop out within
PRESENCE_TTL + PRESENCE_HEARTBEAT seconds.

With Redis the registry lives in Redis and every change is one atomic Lua
script; with the in-memory channel layer it lives in this process.
"""

import asyncio
import json
import weakref
from collections import defaultdict
from typing import Any, Protocol

import redis.asyncio as redis
from django.conf import settings

from chat.participants import Participant
from core.layers import IN_MEMORY_LAYER


class PresenceStore(Protocol):
    async def enter(self, room: str, connection: str, who: Participant, expires_at: float) -> bool:
        """Register or refresh a connection; True if `who` was not online before."""

    async def leave(self, room: str, connection: str) -> Participant | None:
        """Drop a connection; the participant if that was their last one."""

    async def sweep(self, room: str, now: float) -> list[Participant]:
        """Drop connections that expired before `now`; participants left with none."""

    async def beat(
        self, room: str, connection: str, who: Participant, expires_at: float, now: float
    ) -> tuple[bool, list[Participant]]:
        """A heartbeat: `enter`, then `sweep`, at once; both answers."""

    async def participants(self, room: str) -> list[Participant]:
        """Everyone online in the room."""


def _encode(who: Participant) -> str:
    return json.dumps(
        {"key": who.key, "name": who.name, "guest": who.guest, "user_id": who.user_id}
    )


def _decode(raw: str | bytes) -> Participant:
    return Participant(**json.loads(raw))


# KEYS: connections (zset conn -> expiry), counts (hash key -> open connections),
#       who (hash key -> participant), owners (hash conn -> key)
_FORGET = """
local function forget(conn)
  local key = redis.call('HGET', KEYS[4], conn)
  redis.call('ZREM', KEYS[1], conn)
  if not key then return false end
  redis.call('HDEL', KEYS[4], conn)
  if redis.call('HINCRBY', KEYS[2], key, -1) > 0 then return false end
  redis.call('HDEL', KEYS[2], key)
  local who = redis.call('HGET', KEYS[3], key)
  redis.call('HDEL', KEYS[3], key)
  return who
end
"""

# ARGV: conn, key, participant, expires_at, key lifetime in seconds
_ENTER = """
local first = 0
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
if redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
  if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then first = 1 end
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[5]) end
return first
"""

# ARGV: conn
_LEAVE = _FORGET + "return forget(ARGV[1])"

_SWEEP_BODY = """
local gone = {}
for _, conn in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)) do
  local who = forget(conn)
  if who then table.insert(gone, who) end
end
"""

# ARGV: now
_SWEEP = _FORGET + "local now = ARGV[1]" + _SWEEP_BODY + "return gone"

# ARGV: as _ENTER's, then now
_BEAT = (
    _FORGET
    + "local entered = (function()"
    + _ENTER
    + "end)()\nlocal now = ARGV[6]"
    + _SWEEP_BODY
    + "return {entered, gone}"
)


class RedisPresenceStore:
    """The registry in Redis, shared by every server process on it."""

    def __init__(self, url: str, prefix: str, key_lifetime: int) -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = prefix
        self.key_lifetime = key_lifetime
        self._enter = self.client.register_script(_ENTER)
        self._leave = self.client.register_script(_LEAVE)
        self._sweep = self.client.register_script(_SWEEP)
        self._beat = self.client.register_script(_BEAT)

    def _keys(self, room: str) -> list[str]:
        base = f"{self.prefix}:presence:{room}"
        return [f"{base}:connections", f"{base}:counts", f"{base}:who", f"{base}:owners"]

    async def enter(self, room: str, connection: str, who: Participant, expires_at: float) -> bool:
        args: list[str | float | int] = [
            connection, who.key, _encode(who), expires_at, self.key_lifetime,
        ]  # fmt: skip
        return bool(await self._enter(keys=self._keys(room), args=args))

    async def leave(self, room: str, connection: str) -> Participant | None:
        gone = await self._leave(keys=self._keys(room), args=[connection])
        return _decode(gone) if gone else None

    async def sweep(self, room: str, now: float) -> list[Participant]:
        return [_decode(raw) for raw in await self._sweep(keys=self._keys(room), args=[now])]

    async def beat(
        self, room: str, connection: str, who: Participant, expires_at: float, now: float
    ) -> tuple[bool, list[Participant]]:
        args: list[str | float | int] = [
            connection, who.key, _encode(who), expires_at, self.key_lifetime, now,
        ]  # fmt: skip
        entered, gone = await self._beat(keys=self._keys(room), args=args)
        return bool(entered), [_decode(raw) for raw in gone]

    async def participants(self, room: str) -> list[Participant]:
        _, _, who, _ = self._keys(room)
        return [_decode(raw) for raw in await self.client.hvals(who)]


class MemoryPresenceStore:
    """The same registry in this process, for the in-memory channel layer."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everyone (tests start from an empty registry)."""
        self.connections: dict[str, dict[str, float]] = defaultdict(dict)
        self.owners: dict[str, dict[str, str]] = defaultdict(dict)
        self.counts: dict[str, dict[str, int]] = defaultdict(dict)
        self.who: dict[str, dict[str, Participant]] = defaultdict(dict)

    async def enter(self, room: str, connection: str, who: Participant, expires_at: float) -> bool:
        self.who[room][who.key] = who
        first = False
        if connection not in self.connections[room]:
            self.owners[room][connection] = who.key
            self.counts[room][who.key] = self.counts[room].get(who.key, 0) + 1
            first = self.counts[room][who.key] == 1
        self.connections[room][connection] = expires_at
        return first

    async def leave(self, room: str, connection: str) -> Participant | None:
        self.connections[room].pop(connection, None)
        key = self.owners[room].pop(connection, None)
        if key is None:
            return None
        self.counts[room][key] -= 1
        if self.counts[room][key] > 0:
            return None
        del self.counts[room][key]
        return self.who[room].pop(key)

    async def sweep(self, room: str, now: float) -> list[Participant]:
        expired = [conn for conn, expiry in self.connections[room].items() if expiry < now]
        gone = [await self.leave(room, conn) for conn in expired]
        return [who for who in gone if who is not None]

    async def beat(
        self, room: str, connection: str, who: Participant, expires_at: float, now: float
    ) -> tuple[bool, list[Participant]]:
        return await self.enter(room, connection, who, expires_at), await self.sweep(room, now)

    async def participants(self, room: str) -> list[Participant]:
        return list(self.who[room].values())


memory_store = MemoryPresenceStore()
StoresByLoop = weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RedisPresenceStore]]
_redis_stores: StoresByLoop = weakref.WeakKeyDictionary()


def presence_store() -> PresenceStore:
    """The store matching the channel layer: Redis beside a Redis layer, else in-process."""
    layer: dict[str, Any] = settings.CHANNEL_LAYERS["default"]
    if layer["BACKEND"] == IN_MEMORY_LAYER["BACKEND"]:
        return memory_store
    url = layer["CONFIG"]["hosts"][0]["address"]
    prefix = layer["CONFIG"].get("prefix", "asgi")
    # A redis.asyncio client belongs to the event loop it was created on.
    stores = _redis_stores.setdefault(asyncio.get_running_loop(), {})
    cache_key = f"{url}|{prefix}"
    if cache_key not in stores:
        stores[cache_key] = RedisPresenceStore(url, prefix, key_lifetime=presence_ttl() * 10)
    return stores[cache_key]


def presence_ttl() -> int:
    """Seconds a connection stays registered without a heartbeat."""
    return int(settings.CHAT_PRESENCE_TTL)


def presence_heartbeat() -> float:
    """Seconds between a connection's refreshes (and sweeps of its room)."""
    return float(settings.CHAT_PRESENCE_HEARTBEAT)
