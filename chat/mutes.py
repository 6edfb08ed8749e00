"""
Who may not write where: the mutes in force, as one event loop knows them.

A post is the chat's hottest path, and on PostgreSQL it does not leave the
event loop (see services.post); a query per post to ask whether its author
is muted would cost more than the post. So each event loop keeps every mute
in force (a short list: mutes are rare), read again from the database at
most every CHAT_MUTE_CHECK seconds, when a post asks. A new mute is known
at once wherever its user has a connection (chat.notifications.muted), and
within CHAT_MUTE_CHECK seconds everywhere even if that news is lost. A
mute's end needs no news: it is a time, compared with the clock.

Writes that leave the event loop anyway (an edit, a reaction, a post over
HTTP) ask the database itself (services.check_not_muted).
"""

import asyncio
import time
import weakref
from datetime import datetime

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils import timezone

from chat import selectors


class MuteList:
    """One event loop's copy of the mutes in force: room name -> user id -> until when."""

    def __init__(self) -> None:
        self.mutes: dict[str, dict[int, datetime]] = {}
        self.read_at = float("-inf")
        self.reading = asyncio.Lock()
        # News heard while a read was under way is newer than what it read.
        self.news: dict[tuple[str, int], tuple[float, datetime | None]] = {}

    async def until(self, room_name: str, user_id: int) -> datetime | None:
        """Until when `user_id` is muted in `room_name`; None if they are not."""
        if time.monotonic() - self.read_at >= settings.CHAT_MUTE_CHECK:
            async with self.reading:  # one read at a time; those waiting use it
                if time.monotonic() - self.read_at >= settings.CHAT_MUTE_CHECK:
                    started = time.monotonic()
                    self.mutes = await database_sync_to_async(selectors.mutes_in_force)()
                    self.read_at = started
                    news, self.news = self.news, {}
                    for (room, user), (heard_at, news_until) in news.items():
                        if heard_at >= started:
                            self.heard(room, user, news_until)
        until = self.mutes.get(room_name, {}).get(user_id)
        return until if until is not None and until > timezone.now() else None

    def heard(self, room_name: str, user_id: int, until: datetime | None) -> None:
        """News of a mute (`until`) or of its end (None), ahead of the next read."""
        self.news[(room_name, user_id)] = (time.monotonic(), until)
        if until is None:
            self.mutes.get(room_name, {}).pop(user_id, None)
        else:
            self.mutes.setdefault(room_name, {})[user_id] = until


_lists: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, MuteList] = weakref.WeakKeyDictionary()


def mute_list() -> MuteList:
    """This event loop's list."""
    loop = asyncio.get_running_loop()
    if (found := _lists.get(loop)) is None:
        found = _lists[loop] = MuteList()
    return found
