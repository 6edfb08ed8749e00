"""
Messages missing from a room's broadcasts, read once per server process.

A gap (see chat.delivery) opens for every connection of a room at once:
when two processes post to one room, a broadcast can overtake the one
before it, and each connection here receives them in the same order. Were
each connection to read the gap itself, a busy process would send the
database one query per member for every gap, fall further behind and open
more gaps. Here one read serves every connection of the process that waits
for the same messages, including those that get to the gap a moment
later: stored messages do not change, and a broadcast goes out only once
its message and every earlier one of the room are committed, so a read
stays right. The last RECENT_READS reads are kept; a connection that leaves
meanwhile does not cancel a read for the others.

On a channel layer that drops events over a channel's capacity, a gap can
also be at the end: the last messages of a burst, with nothing after them
to reveal it. `newest` tells a connection the room's newest seq, read at
most every HEAD_FRESH seconds per room and process.
"""

import asyncio
import weakref
from collections import deque
from dataclasses import dataclass

from channels.db import database_sync_to_async

from chat import notifications, selectors

RECENT_READS = 64
HEAD_FRESH = 1.0  # seconds

Found = list[tuple[int, str, str]]
"""(seq, client id, frame) of stored messages, oldest first."""


@dataclass(frozen=True)
class _Read:
    room_name: str
    after: int
    upto: int
    task: "asyncio.Task[Found]"

    def covers(self, room_name: str, after: int, upto: int) -> bool:
        return self.room_name == room_name and self.after <= after and upto <= self.upto


_reads: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, deque[_Read]] = (
    weakref.WeakKeyDictionary()
)


async def missing(room_name: str, after: int, upto: int) -> Found:
    """The room's stored messages with `after` < seq <= `upto`."""
    reads = _reads.setdefault(asyncio.get_running_loop(), deque(maxlen=RECENT_READS))
    read = next((r for r in reads if r.covers(room_name, after, upto)), None)
    if read is None:
        read = _Read(room_name, after, upto, asyncio.create_task(_read(room_name, after, upto)))
        reads.append(read)
        read.task.add_done_callback(lambda task: _forget_if_failed(reads, read))
    found = await asyncio.shield(read.task)
    return [message for message in found if after < message[0] <= upto]


def _forget_if_failed(reads: deque[_Read], read: _Read) -> None:
    """A failed read (the database away, say) is tried afresh by the next one who needs it."""
    if (read.task.cancelled() or read.task.exception() is not None) and read in reads:
        reads.remove(read)


async def _read(room_name: str, after: int, upto: int) -> Found:
    stored = await database_sync_to_async(selectors.messages_after)(room_name, after, upto=upto)
    return [(m.seq, m.client_id, notifications.message_frame(m)) for m in stored]


_heads: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, tuple[float, "asyncio.Task[int]"]]
] = weakref.WeakKeyDictionary()


async def newest(room_name: str) -> int:
    """The room's newest seq, as read from the database at most HEAD_FRESH seconds ago."""
    loop = asyncio.get_running_loop()
    heads = _heads.setdefault(loop, {})
    now = loop.time()
    read_at, task = heads.get(room_name, (float("-inf"), None))
    failed = task is not None and task.done() and (task.cancelled() or task.exception())
    if task is None or failed or now - read_at > HEAD_FRESH:
        if len(heads) >= RECENT_READS:  # forget rooms not asked about lately
            for stale in [name for name, (at, _) in heads.items() if now - at > HEAD_FRESH]:
                del heads[stale]
        task = asyncio.create_task(database_sync_to_async(selectors.newest_seq)(room_name))
        heads[room_name] = (now, task)
    return await asyncio.shield(task)
