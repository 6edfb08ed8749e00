"""A consumer handles frames and events one at a time, each source held back meanwhile."""

import asyncio
from typing import Any

import pytest
from channels.exceptions import StopConsumer

from core.dispatching import dispatch_in_turn


class Source:
    """Messages a test puts in, and how many times the consumer has asked for the next."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[Any] = asyncio.Queue()
        self.reads = 0

    async def __call__(self) -> Any:
        self.reads += 1
        return await self.messages.get()


class Handlers:
    """Records what it handled; a message named in `held` waits for `release`."""

    def __init__(self, held: frozenset[str] = frozenset()) -> None:
        self.handled: list[str] = []
        self.running = 0
        self.most_running = 0
        self.held = held
        self.release = asyncio.Event()
        self.holding = asyncio.Event()

    async def __call__(self, message: str) -> None:
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        try:
            if message == "stop":
                raise StopConsumer
            if message == "fail":
                raise RuntimeError("handler failed")
            if message in self.held:
                self.holding.set()
                await self.release.wait()
            self.handled.append(message)
        finally:
            self.running -= 1


async def test_messages_from_both_sources_are_handled_one_at_a_time_in_arrival_order() -> None:
    client, layer = Source(), Source()
    handlers = Handlers(held=frozenset({"frame 1"}))
    consumer = asyncio.create_task(dispatch_in_turn([client, layer], handlers))
    client.messages.put_nowait("frame 1")
    await handlers.holding.wait()
    layer.messages.put_nowait("event 1")
    layer.messages.put_nowait("event 2")
    client.messages.put_nowait("frame 2")

    handlers.release.set()
    client.messages.put_nowait("stop")
    await asyncio.wait_for(consumer, 5)

    assert handlers.handled[0] == "frame 1"
    assert handlers.handled.index("event 1") < handlers.handled.index("event 2")
    assert sorted(handlers.handled) == ["event 1", "event 2", "frame 1", "frame 2"]
    assert handlers.most_running == 1


async def test_a_source_is_not_read_again_until_its_message_is_handled() -> None:
    client = Source()
    handlers = Handlers(held=frozenset({"slow"}))
    consumer = asyncio.create_task(dispatch_in_turn([client], handlers))
    client.messages.put_nowait("slow")
    client.messages.put_nowait("next")
    await handlers.holding.wait()

    assert client.reads == 1  # "next" stays with the client (for a socket: in TCP)
    handlers.release.set()
    client.messages.put_nowait("stop")
    await asyncio.wait_for(consumer, 5)
    assert handlers.handled == ["slow", "next"]


async def test_stop_consumer_ends_it_and_stops_reading_every_source() -> None:
    client, layer = Source(), Source()
    consumer = asyncio.create_task(dispatch_in_turn([client, layer], Handlers()))

    client.messages.put_nowait("stop")
    await asyncio.wait_for(consumer, 5)

    layer.messages.put_nowait("event after the end")
    assert layer.messages.qsize() == 1  # nobody reads the layer any more


async def test_a_failing_handler_ends_the_consumer_with_its_error() -> None:
    client, layer = Source(), Source()
    consumer = asyncio.create_task(dispatch_in_turn([client, layer], Handlers()))

    layer.messages.put_nowait("fail")

    with pytest.raises(ExceptionGroup) as ended:
        await asyncio.wait_for(consumer, 5)
    assert ended.group_contains(RuntimeError, match="handler failed")
