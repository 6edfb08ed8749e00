"""
Channel layer selection.

Redis is used when REDIS_URL is set or when a Redis answers at the default
address; otherwise the in-memory layer, which only reaches consumers in the
same process. The choice is made once, when settings load, and summarised in
one line that the server logs at start-up.

Of channels-redis's two layers, `pubsub` publishes a group event once to
each subscribed process, which queues it for its consumers; `lists` keeps a
list per channel in Redis, copies a group event into each member's, and
drops what overflows a list's capacity without a word
(`python -m bench.layer_loss` measures both).
"""

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
    _wrap_close,
)
from channels_redis.utils import create_pool, decode_hosts
from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import ConnectionError as RedisConnectionError

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
logger = logging.getLogger("relay.layers")

# A frame handled by chanx runs as its own task, so bursts open many
# connections at once; redis-py 8's async pool stops at 100 by default.
REDIS_MAX_CONNECTIONS = 1000

# Events the list-based layer keeps for a channel before it drops new ones
# (channels-redis's default is 100): a consumer busy for a moment in a busy
# room would lose a chat burst's worth. What still overflows is read from
# the database (chat.gaps).
LIST_CAPACITY = 1000


def redis_answers(url: str, timeout: float = 0.3) -> bool:
    """Whether something accepts TCP connections at the URL's host and port."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout):
            return True
    except OSError:
        return False


# Takes a group event as it arrives, synchronously: True if it was handled,
# False to have it queued for the consumer as usual.
Taker = Callable[[dict[str, Any]], bool]

REDIS_LAYERS = {
    "lists": "channels_redis.core.RedisChannelLayer",
    "pubsub": "core.layers.PubSubChannelLayer",
}
LAYER_LOST = {"type": "channel_layer.lost"}


class ReportingPubSub(PubSub):
    """A Redis subscription that reports when its connection fails, once per outage."""

    def __init__(self, *args: Any, on_lost: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_lost = on_lost
        self.healthy = True

    async def get_message(
        self,
        ignore_subscribe_messages: bool = False,
        timeout: float | None = 0.0,  # noqa: ASYNC109 (redis-py's signature)
    ) -> Any:
        try:
            message = await super().get_message(ignore_subscribe_messages, timeout)
        except (RedisConnectionError, OSError):
            if self.healthy:
                self.healthy = False
                self.on_lost()
            raise
        self.healthy = True
        return message


class ReportingShard(RedisSingleShardConnection):
    channel_layer: "ReportingLoopLayer"

    def _receive_message(self, message: Any) -> None:
        """
        channels-redis's, except that a group event is first offered to each
        member's taker (see PubSubChannelLayer.take_immediately) while that
        member has nothing queued: one task delivers to every idle member,
        rather than waking each member's task in turn.
        """
        if message is None:
            return
        layer = self.channel_layer
        name, data = message["channel"], message["data"]
        if isinstance(name, bytes):
            name = name.decode()
        if name in layer.channels:
            layer.channels[name].put_nowait(data)
            return
        for channel in tuple(layer.groups.get(name, ())):
            queue = layer.channels.get(channel)
            if queue is None:
                continue
            take = layer.takers.get(channel)
            if take is not None and queue.empty() and self.taken(take, data):
                continue
            queue.put_nowait(data)

    async def _do_receiving(self) -> None:
        """
        channels-redis's receiving loop, except that while subscribed it
        waits for the next message for as long as it takes. channels-redis
        asks for each one with a 0.1 s timeout: two timers set and cancelled
        per message, and ten wake-ups a second when the process is idle.
        """
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=None
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                logger.exception("Receiving from Redis failed; trying again in 1 s")
                await asyncio.sleep(1)

    def taken(self, take: Taker, data: bytes) -> bool:
        try:
            return take(self.channel_layer.channel_layer.deserialize(data))
        except Exception:
            # The consumer is sent the event the usual way, and handles or fails it there.
            logger.exception("An event taker failed; the event is queued instead")
            return False

    def _ensure_redis(self) -> None:
        if self._redis is None:  # type: ignore[has-type]
            redis = Redis(connection_pool=create_pool(self.host))
            self._redis = redis
            self._pubsub = ReportingPubSub(redis.connection_pool, on_lost=self.lost)

    def lost(self) -> None:
        """Every channel of this process may have missed events: tell each one."""
        layer = self.channel_layer
        event = layer.channel_layer.serialize(LAYER_LOST)
        for queue in layer.channels.values():
            queue.put_nowait(event)


class ReportingLoopLayer(RedisPubSubLoopLayer):
    channel_layer: "PubSubChannelLayer"

    def __init__(self, *args: Any, hosts: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, hosts=hosts, **kwargs)
        self._shards = [ReportingShard(host, self) for host in decode_hosts(hosts)]
        self.takers: dict[str, Taker] = {}


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """
    channels-redis's pub/sub layer (no per-channel lists in Redis: a group
    event reaches each process once, not each recipient), except that it
    does not lose events in silence. Without Redis it cannot deliver, and
    once back it resubscribes by itself; here each consumer of the process
    is also sent a `channel_layer.lost` event, so it can close and let its
    client reconnect and resume from what is stored.
    """

    _last_message: bytes | None = None
    _last_decoded: dict[str, Any] = {}

    def deserialize(self, message: bytes) -> dict[str, Any]:
        """
        A group event reaches each member's queue as the same bytes, one
        after another: decoded once, each member gets a copy of its own.
        """
        if message is not self._last_message:
            self._last_decoded = super().deserialize(message)
            self._last_message = message
        return dict(self._last_decoded)

    def receiver(self, channel: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        """
        `partial(self.receive, channel)`, except that the layer of the
        running event loop is looked up once, not on every message.
        """
        return partial(self._get_layer().receive, channel)

    def take_immediately(self, channel: str, take: Taker) -> None:
        """
        Offer `channel`'s group events to `take` as they arrive, while none
        is queued for the channel: it handles one synchronously and says
        True, or says False to have it queued as usual. It must never wait
        and never fail: it runs in the task that delivers to every channel.
        """
        self._get_layer().takers[channel] = take

    def stop_taking(self, channel: str) -> None:
        self._get_layer().takers.pop(channel, None)

    def _get_layer(self) -> Any:
        loop = asyncio.get_running_loop()
        if loop not in self._layers:
            self._layers[loop] = ReportingLoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return self._layers[loop]


def receiver(layer: Any, channel: str) -> Callable[[], Awaitable[dict[str, Any]]]:
    """What a consumer awaits for the next event on `channel`."""
    if isinstance(layer, PubSubChannelLayer):
        return layer.receiver(channel)
    return partial(layer.receive, channel)


def drops_when_full(layer: Any) -> bool:
    """
    Whether the layer drops events for a channel that holds `capacity` of
    them already, saying nothing: channels-redis's list-based layer and the
    in-memory one do; the pub/sub layer has no capacity.
    """
    return not isinstance(layer, PubSubChannelLayer)


def redis_layer(url: str, *, prefix: str, kind: str = "lists") -> dict[str, Any]:
    """CHANNEL_LAYERS entry for channels-redis at `url`."""
    return {
        "BACKEND": REDIS_LAYERS[kind],
        "CONFIG": {
            "hosts": [
                {
                    "address": url,
                    # redis-py 8 defaults to a 5 s socket timeout, but the layer
                    # blocks up to 5 s in BZPOPMIN: idle sockets would die.
                    "socket_timeout": None,
                    "max_connections": REDIS_MAX_CONNECTIONS,
                }
            ],
            "prefix": prefix,
            **({"capacity": LIST_CAPACITY} if kind == "lists" else {}),
        },
    }


IN_MEMORY_LAYER: dict[str, Any] = {"BACKEND": "channels.layers.InMemoryChannelLayer"}


def channel_layer_config(
    redis_url: str | None, *, prefix: str, kind: str = "lists"
) -> tuple[dict[str, dict[str, Any]], str]:
    """The CHANNEL_LAYERS setting and a one-line summary of the choice."""
    if redis_url:
        return {"default": redis_layer(redis_url, prefix=prefix, kind=kind)}, (
            f"channel layer: Redis at {display_url(redis_url)} (from REDIS_URL)"
        )
    if redis_answers(DEFAULT_REDIS_URL):
        return {"default": redis_layer(DEFAULT_REDIS_URL, prefix=prefix, kind=kind)}, (
            f"channel layer: Redis at {display_url(DEFAULT_REDIS_URL)}"
        )
    return {"default": IN_MEMORY_LAYER}, (
        f"channel layer: IN-MEMORY, no Redis answered at {display_url(DEFAULT_REDIS_URL)} "
        "and REDIS_URL is unset. Chat works inside this one server process only: "
        "other server processes, workers and management commands cannot reach its clients."
    )


def display_url(url: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}:{parts.port or 6379}"
        return parts._replace(netloc=netloc).geturl()
    return url
