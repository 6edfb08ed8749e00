"""
How fast a client may send frames.

Three limits, checked on every incoming frame before it is decoded:

- per connection (WEBSOCKET_RATE_PER_CONNECTION), counted in this process;
- per user (WEBSOCKET_RATE_PER_USER), across all of a user's or a guest's
  connections on every server process, counted in Redis when the channel
  layer is Redis (in this process otherwise). Clients without an account or
  a session are limited per connection only: limit connections per IP
  address at the proxy in front of the servers;
- persistent abuse (WEBSOCKET_RATE_STRIKES): a connection that keeps
  sending after being told to wait is closed with 4429.

A frame over a limit is dropped and answered with an `error` frame whose
payload has `code: "rate_limited"` and `retry_after` in seconds.
"""

import asyncio
import time
import weakref
from dataclasses import dataclass

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

    def __init__(self, connection_key: str, user_key: str | None, limits: Limits) -> None:
        self.connection_key = connection_key
        self.user_key = user_key
        self.limits = limits
        self.frames = f"{limits.namespace}.frames"
        self.strikes = f"{limits.namespace}.strikes"
        self.checks: list[tuple[SlidingWindowCounterRateLimiter, RateLimitItem, str]] = []

    def prepare(self) -> None:
        """Bind the limiters to this event loop's storages, once per connection."""
        self.local = SlidingWindowCounterRateLimiter(storage("async+memory://"))
        self.checks = [(self.local, self.limits.per_connection, self.connection_key)]
        if self.user_key is not None:
            shared = SlidingWindowCounterRateLimiter(storage(self.limits.shared_uri))
            self.checks.append((shared, self.limits.per_user, self.user_key))

    async def admit(self) -> Verdict:
        if not self.checks:
            self.prepare()
        for limiter, limit, key in self.checks:
            if not await limiter.hit(limit, self.frames, key):
                stats = await limiter.get_window_stats(limit, self.frames, key)
                # Each refused frame is a strike; too many and the client goes.
                tolerated = await self.local.hit(
                    self.limits.strikes, self.strikes, self.connection_key
                )
                return Verdict(
                    allowed=False,
                    retry_after=round(max(0.0, stats.reset_time - time.time()), 3),
                    disconnect=not tolerated,
                )
        return Verdict(allowed=True)
