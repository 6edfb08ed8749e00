"""The chat room consumer: validates frames and delegates to chat services."""

import asyncio
import time
import uuid
from typing import Any, cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from chanx.core.decorators import ws_handler
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import ErrorMessage, PongMessage
from django.conf import settings

from chat import gaps, notifications, selectors, services
from chat.authenticators import ChatAuthenticator
from chat.delivery import DeliveryCursor
from chat.messages import (
    ChatHistory,
    ChatResumed,
    DirectMessageReceived,
    HistoryPage,
    LoadHistory,
    MessageAcceptance,
    MessageAccepted,
    NewChatMessage,
    PostedChatMessage,
    PresenceJoined,
    PresenceLeft,
    PresenceSnapshot,
    PresenceState,
    ResumeSummary,
    ResyncReason,
    ResyncRequired,
    Typing,
    UserTyping,
)
from chat.participants import Participant, participant_for
from chat.presence import heartbeats, presence_store, presence_ttl
from core.consumers import SiteConsumer
from core.groups import chat_room_group
from core.guests import guest_id_from_scope
from core.immediate import ImmediateSend
from core.layers import drops_when_full

CLOSE_FORBIDDEN = 4403


class ChatConsumer(SiteConsumer):
    """
    One connection to one chat room, at ws/chat/{room_name}/.

    Query parameters: `last_seq` resumes after the last message the client
    saw; `name` is a guest's display name for presence.
    """

    authenticator_class = ChatAuthenticator
    emits = [
        ChatHistory,
        ChatResumed,
        ResyncRequired,
        PostedChatMessage,
        PresenceState,
        PresenceJoined,
        PresenceLeft,
        DirectMessageReceived,
    ]

    room_name: str
    participant: Participant
    cursor: DeliveryCursor
    present = False  # registered in the room's presence, and kept so by heartbeats()
    gap_filler: asyncio.Task[None] | None = None
    tail_check: asyncio.Task[None] | None = None
    last_typing: float = float("-inf")

    async def post_authentication(self) -> None:
        """Runs once the authenticator admitted the connection: join, catch up, announce."""
        await super().post_authentication()
        self.room_name = self.url_params["room_name"]
        user = cast(ChatAuthenticator, self.authenticator).user
        assert user is not None, "authentication always ends with a user, anonymous or not"
        self.user = user
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        self.participant = participant_for(
            self.user,
            guest_id=guest_id_from_scope(self.scope),
            guest_name=(query.get("name") or [""])[0].strip()[:50] or None,
            connection=self.channel_name,
        )
        self.cursor = DeliveryCursor()
        self.delivering = asyncio.Lock()  # one batch of room messages on the wire at a time
        # chanx handles each frame in a task of its own; a client's messages
        # are stored one at a time, in the order it sent them.
        self.storing = asyncio.Lock()
        # Join before reading the backlog: whatever commits after the read
        # arrives live, and the cursor drops what both paths deliver.
        await self.join_group(chat_room_group(self.room_name))
        await self.send_backlog((query.get("last_seq") or [None])[0])
        if drops_when_full(self.channel_layer) and settings.CHAT_TAIL_CHECK:
            self.tail_check = asyncio.create_task(self.check_tails())
        await self.enter_presence()

    async def send_backlog(self, raw_last_seq: str | None) -> None:
        last_seq = None
        if raw_last_seq is not None:
            if raw_last_seq.isdigit():
                last_seq = int(raw_last_seq)
            else:
                await self.send_message(
                    ErrorMessage(payload={"detail": "last_seq must be a non-negative integer."})
                )
        backlog = await database_sync_to_async(selectors.backlog)(
            self.room_name,
            last_seq,
            resume_limit=settings.CHAT_RESUME_LIMIT,
            page_size=settings.CHAT_HISTORY_PAGE,
        )
        if backlog.replay:
            for message in backlog.messages:
                await self.send(text_data=notifications.message_frame(message))
            self.cursor.last_seq = max([m.seq for m in backlog.messages], default=last_seq or 0)
            summary = ResumeSummary(replayed=len(backlog.messages), last_seq=backlog.newest)
            await self.send_message(ChatResumed(payload=summary))
            return
        if backlog.resync is not None:
            reason = ResyncReason(reason=backlog.resync, last_seq=backlog.newest)
            await self.send_message(ResyncRequired(payload=reason))
        self.cursor.last_seq = max([m.seq for m in backlog.messages], default=0)
        views = [notifications.message_view(m) for m in backlog.messages]
        await self.send_message(
            ChatHistory(payload=HistoryPage(messages=views, has_more=backlog.has_more))
        )

    async def enter_presence(self) -> None:
        store = presence_store()
        now = time.time()
        await self.announce_departures(await store.sweep(self.room_name, now))
        if await store.enter(
            self.room_name, self.channel_name, self.participant, now + presence_ttl()
        ):
            await self.announce(PresenceJoined, self.participant)
        everyone = await store.participants(self.room_name)
        await self.send_message(
            PresenceState(payload=PresenceSnapshot(participants=[p.as_payload() for p in everyone]))  # type: ignore[misc]
        )
        heartbeats().add(self.room_name, self.channel_name, self.participant)
        self.present = True

    async def announce(
        self,
        kind: type[PresenceJoined | PresenceLeft | UserTyping],
        who: Participant,
        *,
        to_self: bool = False,
    ) -> None:
        """Tell the room about `who`; this connection's own client only if `to_self`."""
        sender = None if to_self else self.channel_name
        await notifications.presence_changed(self.room_name, kind, who, sender=sender)

    async def announce_departures(self, gone: list[Participant]) -> None:
        """Others' expired connections, found by this one's sweep: everyone hears of them."""
        for who in gone:
            await self.announce(PresenceLeft, who, to_self=True)

    async def websocket_disconnect(self, message: Any) -> None:
        """Runs when the socket closes: stop gap fills, and leave presence."""
        for task in (self.gap_filler, self.tail_check):
            if task is not None:
                task.cancel()
        if self.present:
            gone = await heartbeats().leave(self.room_name, self.channel_name)
            if gone is not None:
                await self.announce(PresenceLeft, gone)
        await super().websocket_disconnect(message)

    @ws_handler(summary="Check the connection is alive")
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(
        summary="Post a message to the room",
        description="The message is stored under the room's next seq, then everyone else in "
        "the room receives it as `new_chat_message`; the sender gets `message_accepted`.",
        output_type=[MessageAccepted, PostedChatMessage],
    )
    async def handle_new_chat_message(self, message: NewChatMessage) -> MessageAccepted | None:
        payload = message.payload
        client_id = payload.client_id or uuid.uuid4().hex
        author = self.participant
        if author.guest and payload.name:
            author = Participant(key=author.key, name=payload.name, guest=True)
        self.cursor.own_client_ids.add(client_id)
        try:
            async with self.storing:
                posted = await services.post(
                    room_name=self.room_name,
                    author=author,
                    user=self.user,
                    body=payload.message,
                    client_id=client_id,
                )
        except services.NotAllowed as denied:
            await self.refuse(str(denied))
            return None
        # A resend is broadcast again too: receivers drop seqs they already have,
        # and this way a broadcast lost before a crash still goes out.
        await notifications.message_posted(posted.message, posted.direct_recipients)
        stored = posted.message
        return MessageAccepted(
            payload=MessageAcceptance(
                client_id=client_id,
                seq=stored.seq,
                sent_at=stored.created_at,
                duplicate=not posted.created,
            )
        )

    @ws_handler(summary="Load older messages", output_type=ChatHistory)
    async def handle_load_history(self, message: LoadHistory) -> ChatHistory | None:
        access = await database_sync_to_async(selectors.room_access)(self.room_name, self.user)
        if not access.allowed:
            await self.refuse("You are not a member of this room.")
            return None
        page, has_more = await database_sync_to_async(selectors.messages_before)(
            self.room_name, message.payload.before_seq, limit=message.payload.limit
        )
        return ChatHistory(
            payload=HistoryPage(
                messages=[notifications.message_view(m) for m in page], has_more=has_more
            )
        )

    @ws_handler(summary="Say the user is typing", output_type=UserTyping)
    async def handle_typing(self, _message: Typing) -> None:
        now = time.monotonic()
        if now - self.last_typing < settings.CHAT_TYPING_INTERVAL:
            return
        self.last_typing = now
        await self.announce(UserTyping, self.participant)

    async def refuse(self, detail: str) -> None:
        await self.send_message(ErrorMessage(payload={"detail": detail}))
        await self.close(CLOSE_FORBIDDEN)

    # Channel-layer events (see chat.notifications)

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A message was stored in this room: deliver it in seq order, once."""
        async with self.delivering:
            for frame in self.frames_of(event):
                await self.send(text_data=frame)

    def frames_of(self, message: dict[str, Any]) -> list[str]:
        """
        The frames a room message lets this connection send now, in seq
        order; if it waits behind a gap, the gap's fill is under way.
        """
        frames = self.cursor.offer(message["seq"], message["client_id"], message["frame"])
        if self.cursor.gap() is not None and self.gap_filler is None:
            self.gap_filler = asyncio.create_task(self.fill_gaps())
        return frames

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
                await self.send(text_data=frame)

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

    def handle_now(self, event: dict[str, Any], immediate: ImmediateSend) -> bool:
        """
        Room messages and events as they arrive (see SiteConsumer.take_now),
        the same way `chat_message` and `chat_event` handle them, unless a
        gap fill is sending.
        """
        kind = event["type"]
        if kind == "chat.message" and not self.delivering.locked():
            for frame in self.frames_of(event):
                immediate.send_text(frame)
            return True
        if kind == "chat.event":
            if event["sender"] != self.channel_name:
                immediate.send_text(event["frame"])
            return True
        return False

    async def chat_event(self, event: dict[str, Any]) -> None:
        """Presence or typing in this room; not echoed to the connection that caused it."""
        if event["sender"] != self.channel_name:
            await self.send(text_data=event["frame"])

    async def chat_notice(self, event: dict[str, Any]) -> None:
        """A direct message for this user; this room's own messages arrive as messages."""
        if event["room"] != self.room_name:
            await self.send(text_data=event["frame"])

    async def chat_revoked(self, event: dict[str, Any]) -> None:
        """This user was removed from a private room; close if it is this one."""
        if event["room"] == self.room_name:
            await self.refuse("You were removed from this room.")
