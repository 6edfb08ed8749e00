"""
Catching up with what was stored but never broadcast.

A message is broadcast after the transaction that stores it commits. If the
process that wrote it dies in between (a server killed mid-request, a
Celery worker lost, a management command interrupted), the message is in
the database and no one is told. Nor is anyone told when a channel layer
loses a broadcast and nothing follows it to reveal the gap.

So each server process watches the rooms its connections follow: every
CHAT_HEAD_CHECK seconds one query reads the newest seq of all of them, and
a connection that stayed behind that for a whole interval, not moving,
reads what it is missing from the database, through its cursor (exactly
once, in order). A broadcast that is merely on its way arrives long before
that, so the check costs one query per interval per process, and a read
only where something was really lost.
"""

import asyncio
import weakref
from typing import Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from chat import selectors


class Follower(Protocol):
    """What the watch needs of a connection's view of a room (feeds.RoomFeed)."""

    @property
    def delivered(self) -> int: ...

    async def catch_up(self, newest: int) -> None: ...


class HeadWatch:
    """The rooms one event loop's connections follow, checked against the database."""

    def __init__(self) -> None:
        self.followers: dict[str, set[Follower]] = {}
        self.task: asyncio.Task[None] | None = None

    def add(self, room: str, follower: Follower) -> None:
        if settings.CHAT_HEAD_CHECK <= 0:
            return
        self.followers.setdefault(room, set()).add(follower)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.keep_watching())

    def remove(self, room: str, follower: Follower) -> None:
        followers = self.followers.get(room)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self.followers[room]

    async def keep_watching(self) -> None:
        behind: dict[Follower, int] = {}  # where each was when first seen behind
        while self.followers:
            await asyncio.sleep(settings.CHAT_HEAD_CHECK)
            heads = await database_sync_to_async(selectors.newest_seqs)(list(self.followers))
            still_behind: dict[Follower, int] = {}
            for room, followers in list(self.followers.items()):
                head = heads.get(room, 0)
                for follower in list(followers):
                    delivered = follower.delivered
                    if delivered >= head:
                        continue
                    if behind.get(follower) == delivered:  # a whole interval, not moving
                        await follower.catch_up(head)
                    else:
                        still_behind[follower] = delivered
            behind = still_behind


_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HeadWatch] = (
    weakref.WeakKeyDictionary()
)


def head_watch() -> HeadWatch:
    """This event loop's watch."""
    loop = asyncio.get_running_loop()
    if (found := _watches.get(loop)) is None:
        found = _watches[loop] = HeadWatch()
    return found
