"""
One room's numbered stream, delivered to one connection.

A feed sends the backlog when it starts (the history page, or the messages
missed since the client's `last_seq`), then every live message exactly
once and in seq order, reading from the database whatever the channel
layer failed to bring (see chat.delivery and chat.gaps). It also keeps the
connection's presence in the room, posts the client's messages, pages
through history and relays typing.

A connection to one room (ws/chat/{room_name}/) has one feed; a connection
to all of a user's rooms (ws/chat/) has one per room it subscribed to. A
feed writes text frames through `send`, after `wrap`: the connection to
all rooms wraps each frame in an envelope naming its room.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from chanx.messages.base import BaseMessage
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from chat import gaps, notifications, selectors, services
from chat.delivery import DeliveryCursor
from chat.heads import head_watch
from chat.messages import (
    ChatHistory,
    ChatMessageInput,
    ChatResumed,
    DeleteRequest,
    EditRequest,
    HistoryPage,
    HistoryRequest,
    MessageAcceptance,
    MessageAccepted,
    Muted,
    MuteNotice,
    PresenceJoined,
    PresenceLeft,
    PresenceSnapshot,
    PresenceState,
    ReactRequest,
    ReaderList,
    ReadReceipts,
    ReadStateChanged,
    ResumeSummary,
    ResyncReason,
    ResyncRequired,
    UserTyping,
)
from chat.mutes import mute_list
from chat.participants import Participant
from chat.presence import heartbeats, presence_store, presence_ttl
from core.layers import drops_when_full

Send = Callable[[str], Awaitable[None]]


def as_is(frame: str) -> str:
    return frame


def in_room(room_name: str) -> Callable[[str], str]:
    """
    Wraps an encoded frame of `room_name` in the `in_room` envelope
    (chat.messages.RoomUpdate) by joining strings: a broadcast's frame is
    encoded once for all its recipients, and each wraps it for the cost of
    a copy.
    """
    head = '{"action":"in_room","payload":{"room":' + json.dumps(room_name) + ',"frame":'

    def wrap(frame: str) -> str:
        return head + frame + "}}"

    return wrap


class RoomFeed:
    """The room `room_name` as one connection (`connection`, its channel name) sees it."""

    gap_filler: asyncio.Task[None] | None = None
    tail_check: asyncio.Task[None] | None = None
    present = False  # registered in the room's presence, and kept so by heartbeats()
    last_typing = float("-inf")

    def __init__(
        self,
        room_name: str,
        *,
        connection: str,
        participant: Participant,
        send: Send,
        wrap: Callable[[str], str] = as_is,
    ) -> None:
        self.room_name = room_name
        self.connection = connection
        self.participant = participant
        self.send = send
        self.wrap = wrap
        self.cursor = DeliveryCursor()
        self.delivering = asyncio.Lock()  # one batch of room messages on the wire at a time
        # chanx handles each frame in a task of its own; a client's messages
        # are stored one at a time, in the order it sent them.
        self.storing = asyncio.Lock()

    async def send_message(self, message: BaseMessage) -> None:
        await self.send(self.wrap(notifications.encode(message)))

    async def start(self, last_seq: int | None) -> None:
        """
        Send the backlog, then take part in the room. The connection has
        joined the room's group already: whatever commits after the backlog
        is read arrives live, and the cursor drops what both paths deliver.
        """
        async with self.delivering:  # live messages wait until the backlog is out
            await self.send_backlog(last_seq)
        if drops_when_full(get_channel_layer()) and settings.CHAT_TAIL_CHECK:
            self.tail_check = asyncio.create_task(self.check_tails())
        head_watch().add(self.room_name, self)
        if (until := await self.muted_until()) is not None:
            user_id = self.participant.user_id
            assert user_id is not None, "only a signed-in user is muted"
            reason = await database_sync_to_async(selectors.mute_reason)(self.room_name, user_id)
            await self.send_message(
                Muted(payload=MuteNotice(room=self.room_name, until=until, reason=reason))
            )
        await self.enter_presence()

    def halt(self) -> None:
        """Stop gap fills, tail checks and the head watch; presence stays as it is."""
        head_watch().remove(self.room_name, self)
        for task in (self.gap_filler, self.tail_check):
            if task is not None:
                task.cancel()

    async def stop(self) -> None:
        """Stop gap fills and leave presence: the connection closed or unsubscribed."""
        self.halt()
        if self.present:
            self.present = False
            gone = await heartbeats().leave(self.room_name, self.connection)
            if gone is not None:
                await self.announce(PresenceLeft, gone)

    async def send_backlog(self, last_seq: int | None) -> None:
        backlog = await database_sync_to_async(selectors.backlog)(
            self.room_name,
            last_seq,
            resume_limit=settings.CHAT_RESUME_LIMIT,
            page_size=settings.CHAT_HISTORY_PAGE,
        )
        if backlog.replay:
            for message in backlog.messages:
                await self.send(self.wrap(notifications.message_frame(message)))
            self.cursor.last_seq = max([m.seq for m in backlog.messages], default=last_seq or 0)
            summary = ResumeSummary(replayed=len(backlog.messages), last_seq=backlog.newest)
            await self.send_message(ChatResumed(payload=summary))
        else:
            if backlog.resync is not None:
                reason = ResyncReason(reason=backlog.resync, last_seq=backlog.newest)
                await self.send_message(ResyncRequired(payload=reason))
            # The page shows each message as it is now: the edits and deletions
            # up to the room's newest seq are in it, and are not sent again.
            newest = max([backlog.newest, *(m.seq for m in backlog.messages)])
            self.cursor.last_seq = newest
            views = [
                notifications.message_view(m, backlog.reactions.get(m.pk)) for m in backlog.messages
            ]
            page = HistoryPage(messages=views, has_more=backlog.has_more, last_seq=newest)
            await self.send_message(ChatHistory(payload=page))
        if backlog.readers is not None:
            await self.send_message(ReadReceipts(payload=ReaderList(readers=backlog.readers)))

    # Presence and typing

    async def enter_presence(self) -> None:
        store = presence_store()
        now = time.time()
        for gone in await store.sweep(self.room_name, now):
            # Others' expired connections, found by this sweep: everyone hears of them.
            await self.announce(PresenceLeft, gone, to_self=True)
        if await store.enter(
            self.room_name, self.connection, self.participant, now + presence_ttl()
        ):
            await self.announce(PresenceJoined, self.participant)
        everyone = await store.participants(self.room_name)
        await self.send_message(
            PresenceState(payload=PresenceSnapshot(participants=[p.as_payload() for p in everyone]))  # type: ignore[misc]
        )
        heartbeats().add(self.room_name, self.connection, self.participant)
        self.present = True

    async def announce(
        self,
        kind: type[PresenceJoined | PresenceLeft | UserTyping],
        who: Participant,
        *,
        to_self: bool = False,
    ) -> None:
        """Tell the room about `who`; this connection's own client only if `to_self`."""
        sender = None if to_self else self.connection
        await notifications.presence_changed(self.room_name, kind, who, sender=sender)

    async def typing(self) -> None:
        """Relay that the participant is typing, at most once per CHAT_TYPING_INTERVAL."""
        now = time.monotonic()
        if now - self.last_typing < settings.CHAT_TYPING_INTERVAL:
            return
        self.last_typing = now
        await self.announce(UserTyping, self.participant)

    # The client's requests

    async def post(
        self, message: ChatMessageInput, *, user: AbstractBaseUser | AnonymousUser, client_id: str
    ) -> MessageAccepted:
        """
        Store the client's message, then broadcast it. Raises
        services.NotAllowed if the user may not post here (any more), and
        services.ChatError if an attachment cannot be sent.
        """
        if (until := await self.muted_until()) is not None:
            raise services.Muted(until)
        author = self.participant
        if author.guest and message.name:
            author = Participant(key=author.key, name=message.name, guest=True)
        self.cursor.own_client_ids.add(client_id)
        async with self.storing:
            posted = await services.post(
                room_name=self.room_name,
                author=author,
                user=user,
                body=message.message,
                client_id=client_id,
                attachments=message.attachments,
            )
        # A resend is broadcast again too: receivers drop seqs they already have,
        # and this way a broadcast lost before a crash still goes out.
        await notifications.message_posted(
            posted.message, posted.members, direct=posted.direct, mentioned=posted.mentioned
        )
        stored = posted.message
        return MessageAccepted(
            payload=MessageAcceptance(
                client_id=client_id,
                seq=stored.seq,
                sent_at=stored.created_at,
                duplicate=not posted.created,
            )
        )

    async def muted_until(self) -> datetime | None:
        """Until when the participant may not write here (see chat.mutes); a guest never is."""
        user_id = self.participant.user_id
        return None if user_id is None else await mute_list().until(self.room_name, user_id)

    async def history(
        self, request: HistoryRequest, *, user: AbstractBaseUser | AnonymousUser
    ) -> ChatHistory:
        """
        A page of older messages, or of those around one; raises
        services.NotAllowed for a non-member.
        """
        page = await database_sync_to_async(selectors.history_page)(
            self.room_name,
            user,
            before_seq=request.before_seq,
            around_seq=request.around_seq,
            limit=request.limit,
        )
        if page is None:
            raise services.NotAllowed("You are not a member of this room.")
        views = [notifications.message_view(m, page.reactions.get(m.pk)) for m in page.messages]
        return ChatHistory(
            payload=HistoryPage(
                messages=views,
                has_more=page.has_more,
                around_seq=request.around_seq,
                has_newer=page.has_newer,
            )
        )

    async def edit(self, request: EditRequest, *, user: AbstractBaseUser | AnonymousUser) -> None:
        """
        Edit one of the user's messages; everyone in the room, this client
        too, gets the edit as the stream's next entry. Raises services.ChatError.
        """
        change = await database_sync_to_async(services.edit_message)(
            room_name=self.room_name,
            user=user,
            seq=request.seq,
            body=request.message,
            client_id=request.client_id or uuid.uuid4().hex,
        )
        await notifications.message_changed(change)

    async def delete(
        self, request: DeleteRequest, *, user: AbstractBaseUser | AnonymousUser
    ) -> None:
        """Delete a message, as `edit` edits one. Raises services.ChatError."""
        change = await database_sync_to_async(services.delete_message)(
            room_name=self.room_name,
            user=user,
            seq=request.seq,
            client_id=request.client_id or uuid.uuid4().hex,
        )
        await notifications.message_changed(change)

    async def react(self, request: ReactRequest, *, user: AbstractBaseUser | AnonymousUser) -> None:
        """
        Add or take back the user's reaction; everyone in the room gets the
        change, unless it stood so already. Raises services.ChatError.
        """
        change = await database_sync_to_async(services.react)(
            room_name=self.room_name,
            user=user,
            seq=request.seq,
            emoji=request.emoji,
            remove=request.remove,
            client_id=request.client_id or uuid.uuid4().hex,
        )
        if change is not None:
            await notifications.message_changed(change)

    async def mark_read(
        self, seq: int, *, user: AbstractBaseUser | AnonymousUser
    ) -> ReadStateChanged | None:
        """
        Keep how far the user has read. If that moved, every connection of
        theirs hears of it; if not, the answer for this one. Raises
        services.ChatError, or services.NotAllowed for a non-member.
        """
        mark = await database_sync_to_async(services.mark_read)(
            room_name=self.room_name, user=user, seq=seq
        )
        return None if mark.moved else ReadStateChanged(payload=mark.position)

    # Room events, from the channel layer (see chat.notifications)

    async def deliver(self, event: dict[str, Any]) -> None:
        """A message was stored in this room: deliver it in seq order, once."""
        async with self.delivering:
            for frame in self.frames_of(event):
                await self.send(frame)

    def frames_of(self, event: dict[str, Any]) -> list[str]:
        """
        The frames a room message lets this connection send now, in seq
        order; if it waits behind a gap, the gap's fill is under way.
        """
        frames = self.cursor.offer(event["seq"], event["client_id"], event["frame"])
        if self.cursor.gap() is not None and self.gap_filler is None:
            self.gap_filler = asyncio.create_task(self.fill_gaps())
        return [self.wrap(frame) for frame in frames]

    def event_frame(self, event: dict[str, Any]) -> str | None:
        """Presence or typing in this room, unless this connection caused it."""
        if event["sender"] == self.connection:
            return None
        return self.wrap(event["frame"])

    async def fill_gaps(self) -> None:
        """
        Give a broadcast that was overtaken CHAT_GAP_WAIT seconds to arrive,
        then read whatever is still missing from the database.
        """
        try:
            while self.cursor.gap() is not None:
                await asyncio.sleep(settings.CHAT_GAP_WAIT)
                if (gap := self.cursor.gap()) is None:
                    break
                await self.deliver_stored(*gap)
        finally:
            self.gap_filler = None

    async def deliver_stored(self, after: int, upto: int) -> None:
        """Deliver the room's stored messages after `after`, up to `upto`, through the cursor."""
        found = await gaps.missing(self.room_name, after, upto)
        async with self.delivering:
            for frame in self.cursor.fill(found, upto):
                await self.send(self.wrap(frame))

    @property
    def delivered(self) -> int:
        """The newest seq this connection has been sent (or skipped as its own)."""
        return self.cursor.last_seq

    async def catch_up(self, newest: int) -> None:
        """
        The room's newest seq is `newest` and this connection stayed behind it
        (chat.heads): read what it missed, unless a gap fill is doing so.
        """
        if newest > self.cursor.last_seq and not self.cursor.held and self.gap_filler is None:
            await self.deliver_stored(self.cursor.last_seq, newest)

    async def check_tails(self) -> None:
        """
        On a layer that drops what overflows a channel (see
        core.layers.drops_when_full), the last messages of a burst can be
        lost with nothing after them to reveal the gap. Once the room has
        moved and then been quiet for CHAT_TAIL_CHECK seconds, the room's
        newest seq is read (once per process) and whatever is missing filled.
        """
        checked = self.cursor.last_seq
        while True:
            before = self.cursor.last_seq
            await asyncio.sleep(settings.CHAT_TAIL_CHECK)
            quiet, moved = self.cursor.last_seq == before, before != checked
            if quiet and moved:
                checked = self.cursor.last_seq
                newest = await gaps.newest(self.room_name)
                if newest > self.cursor.last_seq and not self.cursor.held:
                    await self.deliver_stored(self.cursor.last_seq, newest)
