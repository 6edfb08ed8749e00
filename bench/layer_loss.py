"""
What a channel layer delivers when its consumers cannot keep up: one room
of members, a burst of group events sent faster than they are read, and how
many deliveries arrive.

    python -m bench.layer_loss                      # 50 members, 2,000 events
    python -m bench.layer_loss --members 10 --events 500 --work-us 0

The events are sent as a server sends a burst of incoming chat frames: each
by a task of its own (chanx runs a task per frame), up to `--concurrency` at
a time. Each member spends `--work-us` of CPU on every event it receives
(100 µs by default: about what a server spends writing one chat frame to one
client), so a room of 50 takes 5 ms to take in one event.

The list-based Redis layer and the in-memory layer keep at most `capacity`
events per channel (100 unless configured) and drop the rest without a word;
the pub/sub layer publishes each group event once to every subscribed
process, which queues it for its consumers, unbounded. Each layer runs with
its stock settings, on Redis at REDIS_URL (or 127.0.0.1:6379) where it needs
one.
"""

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from channels.layers import BaseChannelLayer, InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer
from channels_redis.pubsub import RedisPubSubChannelLayer

from core.layers import DEFAULT_REDIS_URL, REDIS_MAX_CONNECTIONS

REDIS_URL = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
# When no member has received anything for this long, they have received all they will.
QUIET = 1.0


@dataclass(frozen=True)
class Outcome:
    layer: str
    expected: int
    delivered: int
    seconds: float

    @property
    def lost(self) -> float:
        return 1 - self.delivered / self.expected


def layers(redis_url: str) -> dict[str, Callable[[], BaseChannelLayer]]:
    """Each layer to measure, made fresh, with a key prefix of its own."""

    def redis(kind: type[BaseChannelLayer], **config: Any) -> Callable[[], BaseChannelLayer]:
        return lambda: kind(
            hosts=[
                {
                    "address": redis_url,
                    "socket_timeout": None,
                    "max_connections": REDIS_MAX_CONNECTIONS,
                }
            ],
            prefix=f"bench-{uuid.uuid4().hex[:8]}",
            **config,
        )

    return {
        "in-memory (capacity 100)": InMemoryChannelLayer,
        "Redis lists (capacity 100)": redis(RedisChannelLayer),
        "Redis lists (capacity 1,000)": redis(RedisChannelLayer, capacity=1000),
        "Redis pub/sub": redis(RedisPubSubChannelLayer),
    }


def busy(seconds: float) -> None:
    """Spend `seconds` of CPU, as a consumer handling an event would."""
    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        pass


async def burst(
    name: str, layer: BaseChannelLayer, members: int, events: int, work: float, concurrency: int
) -> Outcome:
    """Send `events` group events to `members` channels as fast as the layer takes them."""
    group = "room"
    channels = [await layer.new_channel() for _ in range(members)]
    for channel in channels:
        await layer.group_add(group, channel)
    received = [0] * members
    arrived = asyncio.Event()
    last_arrival = time.monotonic()

    async def read(index: int) -> None:
        nonlocal last_arrival
        while True:
            await layer.receive(channels[index])
            busy(work)
            received[index] += 1
            last_arrival = time.monotonic()
            arrived.set()

    readers = [asyncio.create_task(read(i)) for i in range(members)]
    started = time.monotonic()
    sending = asyncio.Semaphore(concurrency)

    async def send(number: int) -> None:
        async with sending:
            await layer.group_send(group, {"type": "chat.message", "number": number})

    await asyncio.gather(*(send(number) for number in range(events)))
    while sum(received) < members * events:
        arrived.clear()
        try:
            await asyncio.wait_for(arrived.wait(), QUIET)
        except TimeoutError:
            break  # nothing more is coming: the rest was dropped
    seconds = last_arrival - started
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    for channel in channels:
        await layer.group_discard(group, channel)
    await close(layer)
    return Outcome(name, members * events, sum(received), seconds)


async def close(layer: BaseChannelLayer) -> None:
    """Release the layer's Redis connections, whichever kind it is."""
    if isinstance(layer, RedisPubSubChannelLayer):
        await layer.flush()
    elif isinstance(layer, RedisChannelLayer):
        await layer.close_pools()


async def measure(
    members: int, events: int, work: float, concurrency: int = 200, redis_url: str = REDIS_URL
) -> dict[str, Outcome]:
    """Each layer's outcome, by name, measured one after the other."""
    return {
        name: await burst(name, make(), members, events, work, concurrency)
        for name, make in layers(redis_url).items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--work-us", type=float, default=100)
    parser.add_argument("--concurrency", type=int, default=200)
    args = parser.parse_args(argv)
    print(
        f"one group of {args.members} members, a burst of {args.events:,} group events, "
        f"{args.work_us:g} µs of work per delivery"
    )
    print(f"{'layer':<30} {'delivered':>20} {'lost':>6} {'seconds':>8}")
    outcomes = asyncio.run(measure(args.members, args.events, args.work_us / 1e6, args.concurrency))
    for outcome in outcomes.values():
        print(
            f"{outcome.layer:<30} {outcome.delivered:>9,} of {outcome.expected:>8,}"
            f" {outcome.lost:>6.0%} {outcome.seconds:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
