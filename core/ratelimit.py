"""
How fast a client may send frames.

Three limits, checked on every incoming frame before it is decoded:

- per connection (WEBSOCKET_RATE_PER_CONNECTION), counted by the connection
  itself (`ConnectionWindow`);
- per user (WEBSOCKET_RATE_PER_USER), across all of a user's or a guest's
  connections on every server process, counted in Redis when the channel
  layer is Redis (in this process otherwise). Clients without an account or
  a session are limited per connection only: limit connections per IP
  address at the proxy in front of the servers;
- persistent abuse (WEBSOCKET_RATE_STRIKES): a connection that keeps
  sending after being told to wait is closed with 4429.

A frame over a limit is dropped and answered with an `error` frame whose
payload has `code: "rate_limited"` and `retry_after` in seconds.

Every limit is a sliding window counter: the count of the current window
plus the previous window's, weighted by how much of it still overlaps the
last `expiry` seconds. The per-user limit uses the `limits` library's Redis
storage (atomic Lua scripts, shared by every process). A connection's own
limits need no storage at all: `limits`' in-memory storage would sweep the
counters of every connection of the process on each frame.
"""

import asyncio
import math
import time
import weakref
from dataclasses import dataclass, field

from django.conf import settings
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string

CLOSE_RATE_LIMITED = 4429

_storages: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Storage]] = (
    weakref.WeakKeyDictionary()
)


def storage(uri: str) -> Storage:
    """One storage per URI and event loop (Redis clients belong to the loop that made them)."""
    per_loop = _storages.setdefault(asyncio.get_running_loop(), {})
    if uri not in per_loop:
        options = {"implementation": "redispy"} if uri.startswith("async+redis") else {}
        made = storage_from_string(uri, **options)
        assert isinstance(made, Storage), f"{uri} is not an async storage"
        per_loop[uri] = made
    return per_loop[uri]


@dataclass
class ConnectionWindow:
    """One connection's sliding window counter for `item` (the algorithm of
    `limits`' SlidingWindowCounterRateLimiter), kept in the connection."""

    item: RateLimitItem
    window: int = -1  # index of the current window: time // expiry
    current: int = 0
    previous: int = 0
    expiry: float = field(init=False)

    def __post_init__(self) -> None:
        self.expiry = float(self.item.get_expiry())

    def hit(self, now: float) -> bool:
        """Count a frame at `now` if the limit allows it; whether it did."""
        self._roll(now)
        if math.floor(self._weighted(now)) + 1 > self.item.amount:
            return False
        self.current += 1
        return True

    def retry_after(self, now: float) -> float:
        """Seconds until a frame would be counted again, if none is sent meanwhile."""
        self._roll(now)
        start = self.window * self.expiry
        room = self.item.amount - self.current
        if room <= 0:  # this window is full alone: wait for the next one
            return start + self.expiry - now
        # The previous window's share shrinks until the current one fits under the limit.
        fits_at = start + self.expiry * (1 - room / self.previous) if self.previous else now
        return max(0.0, fits_at - now)

    def _weighted(self, now: float) -> float:
        overlap = 1 - (now - self.window * self.expiry) / self.expiry
        return self.previous * overlap + self.current

    def _roll(self, now: float) -> None:
        window = int(now // self.expiry)
        if window != self.window:
            self.previous = self.current if window == self.window + 1 else 0
            self.current = 0
            self.window = window


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: float = 0.0
    disconnect: bool = False


@dataclass(frozen=True)
class Limits:
    per_connection: RateLimitItem
    per_user: RateLimitItem
    strikes: RateLimitItem
    shared_uri: str
    namespace: str

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            per_connection=parse(settings.WEBSOCKET_RATE_PER_CONNECTION),
            per_user=parse(settings.WEBSOCKET_RATE_PER_USER),
            strikes=parse(settings.WEBSOCKET_RATE_STRIKES),
            shared_uri=settings.WEBSOCKET_RATE_STORAGE,
            namespace=settings.WEBSOCKET_RATE_NAMESPACE,
        )


class FrameRateLimiter:
    """The limits of one connection; `user_key` is None for a client with no identity."""

    def __init__(self, user_key: str | None, limits: Limits) -> None:
        self.user_key = user_key
        self.limits = limits
        self.frames = ConnectionWindow(limits.per_connection)
        self.strikes = ConnectionWindow(limits.strikes)
        self.shared: SlidingWindowCounterRateLimiter | None = None
        self.namespace = f"{limits.namespace}.frames"

    async def admit(self) -> Verdict:
        now = time.time()
        if not self.frames.hit(now):
            return self.refuse(self.frames.retry_after(now))
        if self.user_key is not None:
            if self.shared is None:  # bound to the storage of the running event loop
                self.shared = SlidingWindowCounterRateLimiter(storage(self.limits.shared_uri))
            limit = self.limits.per_user
            if not await self.shared.hit(limit, self.namespace, self.user_key):
                stats = await self.shared.get_window_stats(limit, self.namespace, self.user_key)
                return self.refuse(stats.reset_time - time.time())
        return Verdict(allowed=True)

    def refuse(self, retry_after: float) -> Verdict:
        """Each refused frame is a strike; too many and the client goes."""
        tolerated = self.strikes.hit(time.time())
        return Verdict(
            allowed=False, retry_after=round(max(0.0, retry_after), 3), disconnect=not tolerated
        )
