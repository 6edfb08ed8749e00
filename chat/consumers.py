"""
The chat's consumers: one room per connection (ChatConsumer), or all of a
user's rooms over one (RoomsConsumer). Both validate frames and delegate
each room to a chat.feeds.RoomFeed, and writes to chat services.
"""

import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from chanx.core.decorators import ws_handler
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import ErrorMessage, PongMessage
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from chat import selectors, services
from chat.authenticators import ChatAuthenticator
from chat.feeds import RoomFeed, in_room
from chat.messages import (
    SUBSCRIPTIONS_MAX,
    ChatHistory,
    ChatResumed,
    DeleteMessage,
    DirectMessageReceived,
    EditMessage,
    InRoom,
    LoadHistory,
    MarkRead,
    Mentioned,
    MessageAccepted,
    MessageDeleted,
    MessageEdited,
    Muted,
    NewChatMessage,
    PostedChatMessage,
    PresenceJoined,
    PresenceLeft,
    PresenceState,
    React,
    ReactionChanged,
    ReadReceipt,
    ReadReceipts,
    ReadStateChanged,
    ResyncRequired,
    RoomActivity,
    RoomAdded,
    RoomList,
    RoomListing,
    RoomRemoved,
    Subscribe,
    ToRoom,
    Typing,
    Unsubscribe,
    Unsubscribed,
    Unsubscription,
    UserTyping,
)
from chat.mutes import mute_list
from chat.participants import Participant, participant_for
from core.consumers import SiteConsumer
from core.groups import chat_room_group, chat_user_group
from core.guests import guest_id_from_scope
from core.immediate import ImmediateSend

CLOSE_FORBIDDEN = 4403
PUBLIC_ROOMS_LISTED = 50


class ChatSocket(SiteConsumer):
    """What both chat endpoints share: the user, and their own chat group."""

    user: AbstractBaseUser | AnonymousUser

    async def post_authentication(self) -> None:
        await super().post_authentication()
        user = getattr(self.authenticator, "user", None)
        assert user is not None, "authentication always ends with a user, anonymous or not"
        self.user = user
        if user.is_authenticated:
            await self.join_group(chat_user_group(int(user.pk)))

    def query(self, name: str) -> str | None:
        values = parse_qs(self.scope.get("query_string", b"").decode("latin1")).get(name)
        return values[0] if values else None

    def participant(self, guest_name: str | None) -> Participant:
        return participant_for(
            self.user,
            guest_id=guest_id_from_scope(self.scope),
            guest_name=(guest_name or "").strip()[:50] or None,
            connection=self.channel_name,
        )

    async def send_text(self, frame: str) -> None:
        await self.send(text_data=frame)

    @ws_handler(summary="Check the connection is alive")
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()


class ChatConsumer(ChatSocket):
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
        MessageEdited,
        MessageDeleted,
        ReactionChanged,
        PresenceState,
        PresenceJoined,
        PresenceLeft,
        DirectMessageReceived,
        Mentioned,
        ReadStateChanged,
        ReadReceipts,
        ReadReceipt,
        Muted,
    ]

    feed: RoomFeed | None = None

    async def post_authentication(self) -> None:
        """Runs once the authenticator admitted the connection: join, catch up, announce."""
        await super().post_authentication()
        room_name = self.url_params["room_name"]
        feed = RoomFeed(
            room_name,
            connection=self.channel_name,
            participant=self.participant(self.query("name")),
            send=self.send_text,
        )
        last_seq = None
        if (raw_last_seq := self.query("last_seq")) is not None:
            if raw_last_seq.isdigit():
                last_seq = int(raw_last_seq)
            else:
                detail = "last_seq must be a non-negative integer."
                await self.send_message(ErrorMessage(payload={"detail": detail}))
        if self.user.is_authenticated:
            # First, so the client knows where the unread messages start as the backlog comes.
            position = await database_sync_to_async(selectors.read_position)(room_name, self.user)
            if position is not None:
                await self.send_message(ReadStateChanged(payload=position))
        await self.join_group(chat_room_group(room_name))
        self.feed = feed
        await feed.start(last_seq)

    @property
    def room(self) -> RoomFeed:
        assert self.feed is not None, "frames are handled only after post_authentication"
        return self.feed

    async def websocket_disconnect(self, message: Any) -> None:
        """Runs when the socket closes: stop gap fills, and leave presence."""
        if self.feed is not None:
            await self.feed.stop()
        await super().websocket_disconnect(message)

    @ws_handler(
        summary="Post a message to the room",
        description="The message is stored under the room's next seq, then everyone else in "
        "the room receives it as `new_chat_message`; the sender gets `message_accepted`.",
        output_type=[MessageAccepted, PostedChatMessage],
    )
    async def handle_new_chat_message(self, message: NewChatMessage) -> MessageAccepted | None:
        client_id = message.payload.client_id or uuid.uuid4().hex
        try:
            return await self.room.post(message.payload, user=self.user, client_id=client_id)
        except services.NotAllowed as denied:
            await self.refuse(str(denied))
        except services.ChatError as error:  # an attachment it cannot send
            await self.send_message(
                ErrorMessage(payload={"detail": str(error), "client_id": client_id})
            )
        return None

    @ws_handler(
        summary="Edit one of your own messages",
        description="Stored as the room's next entry; everyone in the room, the editor too, "
        "gets `message_edited`. Signed-in authors only; a refusal is an `error` frame.",
        output_type=MessageEdited,
    )
    async def handle_edit_message(self, message: EditMessage) -> None:
        await self.changing(self.room.edit(message.payload, user=self.user))

    @ws_handler(
        summary="Delete a message",
        description="Your own, or anyone's if you moderate the room (staff, a private room's "
        "owner). Stored as the room's next entry; everyone gets `message_deleted`, and the "
        "message stays in history as a tombstone.",
        output_type=MessageDeleted,
    )
    async def handle_delete_message(self, message: DeleteMessage) -> None:
        await self.changing(self.room.delete(message.payload, user=self.user))

    @ws_handler(
        summary="Add an emoji reaction to a message, or take yours back",
        description="A change is stored as the room's next entry and everyone, the reactor "
        "too, gets `reaction_changed`; asking for what stands already sends nothing. "
        "Signed-in members only; a refusal is an `error` frame.",
        output_type=ReactionChanged,
    )
    async def handle_react(self, message: React) -> None:
        await self.changing(self.room.react(message.payload, user=self.user))

    async def changing(self, change: Awaitable[None]) -> None:
        """Run a change to a message; a refusal is an error frame, a non-member is closed."""
        try:
            await change
        except services.NotAllowed as denied:
            await self.refuse(str(denied))
        except services.ChatError as error:
            await self.send_message(ErrorMessage(payload={"detail": str(error)}))

    @ws_handler(summary="Load older messages", output_type=ChatHistory)
    async def handle_load_history(self, message: LoadHistory) -> ChatHistory | None:
        try:
            return await self.room.history(message.payload, user=self.user)
        except services.NotAllowed as denied:
            await self.refuse(str(denied))
            return None

    @ws_handler(summary="Say the user is typing", output_type=UserTyping)
    async def handle_typing(self, _message: Typing) -> None:
        await self.room.typing()

    @ws_handler(
        summary="Say how far the user has read the room",
        description="If it moved, every connection of the user then gets `read_state`, and "
        "everyone in a room with receipts `read_receipt`; if not, this connection gets "
        "`read_state` as it stands. Signed-in users only; a seq beyond the room's newest is "
        "an error.",
        output_type=[ReadStateChanged, ReadReceipt],
    )
    async def handle_mark_read(self, message: MarkRead) -> ReadStateChanged | None:
        try:
            return await self.room.mark_read(message.payload.seq, user=self.user)
        except services.NotAllowed as denied:
            await self.refuse(str(denied))
        except services.ChatError as error:
            await self.send_message(ErrorMessage(payload={"detail": str(error)}))
        return None

    async def refuse(self, detail: str) -> None:
        await self.send_message(ErrorMessage(payload={"detail": detail}))
        await self.close(CLOSE_FORBIDDEN)

    # Channel-layer events (see chat.notifications)

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A message was stored in this room: deliver it in seq order, once."""
        await self.room.deliver(event)

    async def chat_event(self, event: dict[str, Any]) -> None:
        """Presence or typing in this room; not echoed to the connection that caused it."""
        if (frame := self.room.event_frame(event)) is not None:
            await self.send(text_data=frame)

    def handle_now(self, event: dict[str, Any], immediate: ImmediateSend) -> bool:
        """
        Room messages and events as they arrive (see SiteConsumer.take_now),
        the same way `chat_message` and `chat_event` handle them, unless the
        feed is sending a batch of its own (the backlog, a gap fill).
        """
        return take_now(self.feed, event, immediate)

    async def chat_notice(self, event: dict[str, Any]) -> None:
        """A direct message for this user; this room's own messages arrive as messages."""
        if event["room"] != self.room.room_name:
            await self.send(text_data=event["frame"])

    async def chat_revoked(self, event: dict[str, Any]) -> None:
        """This user was removed from a private room; close if it is this one."""
        if event["room"] == self.room.room_name:
            await self.refuse("You were removed from this room.")

    async def chat_granted(self, event: dict[str, Any]) -> None:
        """This user joined a room: news for their connection to all rooms, not this one."""

    async def chat_muted(self, event: dict[str, Any]) -> None:
        """This user was muted in a room, or a mute was lifted: known here at once."""
        await muted(self.feed, event)

    async def chat_mention(self, event: dict[str, Any]) -> None:
        """Someone named this user, here or in another room: every connection of theirs hears."""
        await self.send(text_data=event["frame"])

    async def chat_read(self, event: dict[str, Any]) -> None:
        """This user read further, here or on another connection; this room's news only."""
        if event["room"] == self.room.room_name:
            await self.send(text_data=event["frame"])

    async def chat_activity(self, event: dict[str, Any]) -> None:
        """A message in another of this user's rooms: news for their room list, not here."""


def take_now(feed: RoomFeed | None, event: dict[str, Any], immediate: ImmediateSend) -> bool:
    """A room's message or event sent at once through `feed`; False to queue it instead."""
    kind = event["type"]
    if kind not in ("chat.message", "chat.event"):
        return False
    if feed is None:
        return True  # a room this connection no longer follows
    if kind == "chat.message":
        if feed.delivering.locked():
            return False
        for frame in feed.frames_of(event):
            immediate.send_text(frame)
    elif (shown := feed.event_frame(event)) is not None:
        immediate.send_text(shown)
    return True


async def muted(feed: RoomFeed | None, event: dict[str, Any]) -> None:
    """
    News of a mute (chat.notifications.mute_changed): this process's mute
    list has it at once, and `feed`, if it is the room's, tells its client.
    """
    until = None if event["until"] is None else datetime.fromisoformat(event["until"])
    user_id = int(event["user"])
    mute_list().heard(event["room"], user_id, until)
    if feed is not None and feed.room_name == event["room"]:
        await feed.send(feed.wrap(event["frame"]))


class RoomsConsumer(ChatSocket):
    """
    One connection to all of a user's rooms, at ws/chat/.

    On connect the client gets its room list. It then subscribes to rooms
    with a cursor, `{room: last_seq}`, and each room is delivered exactly as
    a connection to that room alone delivers it (the same frames, with the
    same guarantees), inside `in_room` envelopes. The connection also hears
    of rooms the user is added to or removed from, and of direct messages.

    Query parameter: `name`, a guest's display name for presence.
    """

    emits = [
        InRoom,
        RoomList,
        RoomAdded,
        RoomRemoved,
        Unsubscribed,
        DirectMessageReceived,
        ReadStateChanged,
        RoomActivity,
        Mentioned,
    ]

    feeds: dict[str, RoomFeed]

    async def post_authentication(self) -> None:
        await super().post_authentication()
        self.feeds = {}
        rooms = await database_sync_to_async(selectors.room_list)(
            self.user, public_limit=PUBLIC_ROOMS_LISTED
        )
        await self.send_message(RoomList(payload=RoomListing(rooms=rooms)))

    async def websocket_disconnect(self, message: Any) -> None:
        for feed in list(getattr(self, "feeds", {}).values()):
            await feed.stop()
        await super().websocket_disconnect(message)

    @ws_handler(
        summary="Follow rooms, each from its last seq",
        description="Each room answers inside `in_room` with its backlog (`chat_history`, "
        "or the missed messages then `chat_resumed`, or `resync_required`) and its "
        "`presence_state`, then its live frames; or with `unsubscribed` if it is closed "
        "to the user.",
        output_type=[InRoom, Unsubscribed],
    )
    async def handle_subscribe(self, message: Subscribe) -> None:
        cursor = message.payload.rooms
        if len(self.feeds.keys() | cursor.keys()) > SUBSCRIPTIONS_MAX:
            detail = f"A connection follows at most {SUBSCRIPTIONS_MAX} rooms."
            await self.send_message(ErrorMessage(payload={"detail": detail}))
            return
        participant = self.participant(message.payload.name or self.query("name"))
        for room_name, last_seq in cursor.items():
            await self.subscribe(room_name, last_seq, participant)

    async def subscribe(self, room_name: str, last_seq: int | None, who: Participant) -> None:
        access = await database_sync_to_async(selectors.room_access)(room_name, self.user)
        if not access.allowed:
            reason = "login_required" if access.needs_login else "forbidden"
            detail = access.reason or "This room is private: only its members may enter."
            await self.drop(room_name, reason, detail)
            return
        if (earlier := self.feeds.pop(room_name, None)) is not None:
            earlier.halt()  # starting over: its presence carries on in the new feed
        else:
            await self.join_group(chat_room_group(room_name))
        feed = RoomFeed(
            room_name,
            connection=self.channel_name,
            participant=who,
            send=self.send_text,
            wrap=in_room(room_name),
        )
        self.feeds[room_name] = feed
        await feed.start(last_seq)

    @ws_handler(summary="Stop following rooms", output_type=Unsubscribed)
    async def handle_unsubscribe(self, message: Unsubscribe) -> None:
        for room_name in message.payload.rooms:
            await self.drop(room_name, "requested")

    async def drop(self, room_name: str, reason: str, detail: str = "") -> None:
        """Stop following `room_name`, if this connection did, and say why."""
        if (feed := self.feeds.pop(room_name, None)) is not None:
            await feed.stop()
            await self.leave_group(chat_room_group(room_name))
        why = Unsubscription(room=room_name, reason=reason, detail=detail)  # type: ignore[arg-type]
        await self.send_message(Unsubscribed(payload=why))

    @ws_handler(
        summary="Post, edit, delete, react, page back, type or mark read in a subscribed room",
        description="The frame inside is one of the one-room endpoint's, answered the same "
        "way inside `in_room`.",
        output_type=[InRoom, Unsubscribed],
    )
    async def handle_in_room(self, message: ToRoom) -> None:
        room_name, frame = message.payload.room, message.payload.frame
        feed = self.feeds.get(room_name)
        if feed is None:
            detail = f"Subscribe to {room_name!r} before sending to it."
            await self.send_message(ErrorMessage(payload={"detail": detail, "room": room_name}))
            return
        try:
            if isinstance(frame, NewChatMessage):
                client_id = frame.payload.client_id or uuid.uuid4().hex
                reply = await feed.post(frame.payload, user=self.user, client_id=client_id)
                await feed.send_message(reply)
            elif isinstance(frame, LoadHistory):
                await feed.send_message(await feed.history(frame.payload, user=self.user))
            elif isinstance(frame, EditMessage):
                await feed.edit(frame.payload, user=self.user)
            elif isinstance(frame, DeleteMessage):
                await feed.delete(frame.payload, user=self.user)
            elif isinstance(frame, React):
                await feed.react(frame.payload, user=self.user)
            elif isinstance(frame, MarkRead):
                if (unmoved := await feed.mark_read(frame.payload.seq, user=self.user)) is not None:
                    await self.send_message(unmoved)
            else:
                await feed.typing()
        except services.NotAllowed as denied:
            await self.drop(room_name, "forbidden", str(denied))
        except services.ChatError as error:
            refused = {"detail": str(error), "room": room_name}
            if isinstance(frame, NewChatMessage) and frame.payload.client_id:
                refused["client_id"] = frame.payload.client_id  # the post it refuses
            await self.send_message(ErrorMessage(payload=refused))

    # Channel-layer events (see chat.notifications)

    async def chat_message(self, event: dict[str, Any]) -> None:
        if (feed := self.feeds.get(event["room"])) is not None:
            await feed.deliver(event)

    async def chat_event(self, event: dict[str, Any]) -> None:
        feed = self.feeds.get(event["room"])
        if feed is not None and (frame := feed.event_frame(event)) is not None:
            await self.send(text_data=frame)

    def handle_now(self, event: dict[str, Any], immediate: ImmediateSend) -> bool:
        """As ChatConsumer.handle_now, for the room the event is of."""
        room_name = event.get("room")
        return take_now(self.feeds.get(room_name) if room_name else None, event, immediate)

    async def chat_notice(self, event: dict[str, Any]) -> None:
        """A direct message; a followed room's messages arrive as messages."""
        if event["room"] not in self.feeds:
            await self.send(text_data=event["frame"])

    async def chat_revoked(self, event: dict[str, Any]) -> None:
        """This user was removed from a private room: stop following it, and unlist it."""
        if event["room"] in self.feeds:
            await self.drop(event["room"], "removed", "You were removed from this room.")
        await self.send(text_data=event["frame"])

    async def chat_granted(self, event: dict[str, Any]) -> None:
        """This user joined a room: list it."""
        await self.send(text_data=event["frame"])

    async def chat_muted(self, event: dict[str, Any]) -> None:
        """This user was muted in a room, or a mute was lifted: said in the room, if followed."""
        await muted(self.feeds.get(event["room"]), event)

    async def chat_read(self, event: dict[str, Any]) -> None:
        """This user read further, on this connection or another: their unread count moves."""
        await self.send(text_data=event["frame"])

    async def chat_activity(self, event: dict[str, Any]) -> None:
        """A message in a room of this user's that this connection does not follow."""
        if event["room"] not in self.feeds:
            await self.send(text_data=event["frame"])

    async def chat_mention(self, event: dict[str, Any]) -> None:
        """Someone named this user in a room, followed here or not: its mentions count grows."""
        await self.send(text_data=event["frame"])
