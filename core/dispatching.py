"""
How a consumer takes in what reaches it: frames from its client and events
from the channel layer, handled one at a time.

Channels does this with `await_many_dispatch`, which for every message
starts a new task to wait for the next one and waits on all of them with
`asyncio.wait`: several objects and callbacks per message, for each
recipient of every broadcast. Here each source is read by one task for as
long as the socket is open, and a lock takes the messages in turn. The guarantees
are the same: one message handled at a time, each source read again only
once its last message has been handled (so a client that sends faster than
its frames are handled is held back by TCP), and a StopConsumer or an error
from a handler ends the whole consumer.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from channels.exceptions import StopConsumer

Source = Callable[[], Awaitable[Any]]
Dispatch = Callable[[Any], Awaitable[None]]


async def dispatch_in_turn(
    sources: list[Source], dispatch: Dispatch, turn: asyncio.Lock | None = None
) -> None:
    """
    Read every source and dispatch what it yields, one message at a time,
    until stopped. `turn` is held while a message is dispatched.
    """
    turn = turn or asyncio.Lock()

    async def pump(source: Source) -> None:
        while True:
            message = await source()
            async with turn:
                await dispatch(message)

    try:
        async with asyncio.TaskGroup() as group:
            for source in sources:
                group.create_task(pump(source))
    except* StopConsumer:
        pass
