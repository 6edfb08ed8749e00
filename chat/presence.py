"""
Who is in a room, across every server process.

Each connection registers itself with an expiry, and its process refreshes
it on a heartbeat. A participant (a user, or a guest's browser session) is
online while at least one of their connections is registered, so two tabs
count once. When a server process dies its connections stop refreshing;
every live process sweeps the rooms of its connections on its heartbeat and
announces who left, so a dead process's users drop out within
PRESENCE_TTL + PRESENCE_HEARTBEAT seconds.

With Redis the registry lives in Redis and every change is one atomic Lua
script; with the in-memory channel layer it lives in this process.
"""

import asyncio
import json
import logging
import time
import weakref
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis
from django.conf import settings

from chat import notifications
from chat.messages import PresenceJoined, PresenceLeft
from chat.participants import Participant
from core.layers import IN_MEMORY_LAYER

logger = logging.getLogger("relay.chat")
# Rooms whose heartbeats go to Redis in one pipeline.
BEATS_PER_PIPELINE = 100


@dataclass(frozen=True)
class Beat:
    """A heartbeat of one process's connections in one room, and who each one is."""

    room: str
    present: dict[str, Participant]


# Of a beat: the connections registered again (they had expired) whose participant
# was offline, and the participants that the room's sweep found gone.
BeatResult = tuple[list[str], list[Participant]]


class PresenceStore(Protocol):
    async def enter(self, room: str, connection: str, who: Participant, expires_at: float) -> bool:
        """Register or refresh a connection; True if `who` was not online before."""

    async def leave(self, room: str, connection: str) -> Participant | None:
        """Drop a connection; the participant if that was their last one."""

    async def sweep(self, room: str, now: float) -> list[Participant]:
        """Drop connections that expired before `now`; participants left with none."""

    async def beat(self, beats: Sequence[Beat], expires_at: float, now: float) -> list[BeatResult]:
        """
        Heartbeats, a room each: every connection `enter`ed again, then the
        room swept, at once; a result per beat, in order.
        """

    async def participants(self, room: str) -> list[Participant]:
        """Everyone online in the room."""


def _encode(who: Participant) -> str:
    return json.dumps(
        {"key": who.key, "name": who.name, "guest": who.guest, "user_id": who.user_id}
    )


def _decode(raw: str | bytes) -> Participant:
    return Participant(**json.loads(raw))


def _text(raw: str | bytes) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw


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

_REGISTER = """
local function register(conn, key, who, expires_at)
  redis.call('HSET', KEYS[3], key, who)
  if redis.call('ZADD', KEYS[1], expires_at, conn) == 0 then return false end
  redis.call('HSET', KEYS[4], conn, key)
  return redis.call('HINCRBY', KEYS[2], key, 1) == 1
end
local function keep(lifetime)
  for i = 1, 4 do redis.call('EXPIRE', KEYS[i], lifetime) end
end
"""

# ARGV: conn, key, participant, expires_at, key lifetime in seconds
_ENTER = (
    _REGISTER
    + """
local first = register(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
keep(ARGV[5])
return first and 1 or 0
"""
)

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

# ARGV: expires_at, key lifetime, now, then conn, key, participant for each connection
_BEAT = (
    _FORGET
    + _REGISTER
    + """
local entered = {}
for i = 4, #ARGV, 3 do
  if register(ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[1]) then table.insert(entered, ARGV[i]) end
end
keep(ARGV[2])
local now = ARGV[3]
"""
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

    async def beat(self, beats: Sequence[Beat], expires_at: float, now: float) -> list[BeatResult]:
        results: list[BeatResult] = []
        for start in range(0, len(beats), BEATS_PER_PIPELINE):
            async with self.client.pipeline(transaction=False) as pipe:
                for beat in beats[start : start + BEATS_PER_PIPELINE]:
                    args: list[str | float | int] = [expires_at, self.key_lifetime, now]
                    for connection, who in beat.present.items():
                        args += [connection, who.key, _encode(who)]
                    await self._beat(keys=self._keys(beat.room), args=args, client=pipe)
                for entered, gone in await pipe.execute():
                    results.append(([_text(c) for c in entered], [_decode(raw) for raw in gone]))
        return results

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

    async def beat(self, beats: Sequence[Beat], expires_at: float, now: float) -> list[BeatResult]:
        results: list[BeatResult] = []
        for beat in beats:
            entered = [
                connection
                for connection, who in beat.present.items()
                if await self.enter(beat.room, connection, who, expires_at)
            ]
            results.append((entered, await self.sweep(beat.room, now)))
        return results

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
    """Seconds between a process's refreshes of its connections (and sweeps of their rooms)."""
    return float(settings.CHAT_PRESENCE_HEARTBEAT)


class Heartbeats:
    """
    The presence heartbeats of one event loop's connections. Every
    heartbeat one task refreshes all of them and sweeps each of their rooms
    once, in one Redis pipeline for up to BEATS_PER_PIPELINE rooms, then
    announces who came back and who left: a task per connection had
    made a Redis call per connection, and swept a room once per member.
    """

    def __init__(self) -> None:
        self.rooms: dict[str, dict[str, Participant]] = {}
        self.beating = asyncio.Lock()  # held while a beat is under way, announcements included
        self.task: asyncio.Task[None] | None = None

    def add(self, room: str, connection: str, who: Participant) -> None:
        """Keep `connection`, registered as `who` in `room`, registered."""
        self.rooms.setdefault(room, {})[connection] = who
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.keep_beating())

    async def leave(self, room: str, connection: str) -> Participant | None:
        """
        Stop refreshing `connection` and unregister it: the participant if
        that was their last connection. A beat under way may still hold it,
        so the leave waits for that beat, which would register it again.
        """
        present = self.rooms.get(room, {})
        present.pop(connection, None)
        if not present:
            self.rooms.pop(room, None)
        if not self.rooms and self.task is not None and not self.beating.locked():
            # Asleep, with nothing left to beat for (a beat under way is let
            # finish: its sweep's departures are announced nowhere else).
            self.task.cancel()
            self.task = None
        async with self.beating:
            return await presence_store().leave(room, connection)

    async def keep_beating(self) -> None:
        while self.rooms:
            await asyncio.sleep(presence_heartbeat())
            try:
                await self.beat()
            except Exception:
                # Redis may be restarting: keep beating, the next round catches up.
                logger.exception("Presence heartbeat failed")

    async def beat(self) -> None:
        """Refresh every connection now, sweep their rooms, and announce what changed."""
        async with self.beating:
            now = time.time()
            beats = [Beat(room, dict(present)) for room, present in self.rooms.items()]
            results = await presence_store().beat(beats, now + presence_ttl(), now)
            for beat, (entered, gone) in zip(beats, results, strict=True):
                for connection in entered:
                    back = beat.present[connection]
                    await notifications.presence_changed(
                        beat.room, PresenceJoined, back, sender=connection
                    )
                for who in gone:
                    await notifications.presence_changed(beat.room, PresenceLeft, who)


_heartbeats: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Heartbeats] = (
    weakref.WeakKeyDictionary()
)


def heartbeats() -> Heartbeats:
    """This event loop's heartbeats."""
    loop = asyncio.get_running_loop()
    if (found := _heartbeats.get(loop)) is None:
        found = _heartbeats[loop] = Heartbeats()
    return found
