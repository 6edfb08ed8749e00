"""
Wire messages of the chat endpoints.

A connection to one room, ws/chat/{room_name}/:
client to server: `new_chat_message`, `edit_message`, `delete_message`,
`react`, `load_history`, `typing`, `mark_read`, `ping`. Server to client:
`chat_history` or the resumed stream on connect, then each entry of the
room's stream (`new_chat_message` for each message posted by others,
`message_edited`, `message_deleted`, `reaction_changed`), `message_accepted`
for one's own messages, presence and typing events, read state and
receipts, `mentioned` when someone names the user in any room, `pong`, and
chanx's `authentication` and `error` frames.

A connection to all of a user's rooms, ws/chat/: `room_list` on connect;
`subscribe` with a cursor ({room: last_seq}) and `unsubscribe`; each room's
frames, both ways, are the ones above inside an `in_room` envelope that names
the room; `unsubscribed`, `room_added` and `room_removed` as access changes;
`read_state`, `room_activity` and `mentioned`, which keep the list's unread
counts and mentions.
"""

import unicodedata
from datetime import datetime
from typing import Annotated, Literal, Self

from chanx.messages.base import BaseMessage
from pydantic import AfterValidator, ConfigDict, Field, model_validator

from chat.rooms import ROOM_NAME_MAX_LENGTH
from core.messages import Strict

MESSAGE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 50
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
HISTORY_PAGE_MAX = 100
SUBSCRIPTIONS_MAX = 100
UNREAD_COUNTED = 100
RECEIPTS_ROOM_MAX = 10
REACTIONS_PER_MESSAGE_MAX = 20  # different emoji on one message
ATTACHMENTS_PER_MESSAGE_MAX = 10
EMOJI_MAX_LENGTH = 16  # code points: the longest family or flag sequences fit
ROOM_NAME_PATTERN = rf"^[A-Za-z0-9_-]{{1,{ROOM_NAME_MAX_LENGTH}}}$"

RoomName = Annotated[str, Field(pattern=ROOM_NAME_PATTERN)]

# What an emoji is made of: symbols (So), skin-tone modifiers (Sk), variation
# selectors (Mn), the keycap mark (Me) and the zero-width joiner (Cf), plus the
# digits, # and * of keycaps. Unicode's own categories are enough to keep text
# out of reactions; which symbols a client offers is its choice.
EMOJI_CATEGORIES = frozenset({"So", "Sk", "Mn", "Me", "Cf"})


def emoji_only(text: str) -> str:
    categories = [unicodedata.category(char) for char in text]
    if not any(category in ("So", "Me") for category in categories) or not all(
        category in EMOJI_CATEGORIES or char in "0123456789#*"
        for char, category in zip(text, categories, strict=True)
    ):
        raise ValueError("A reaction is one emoji.")
    return text


Emoji = Annotated[str, Field(min_length=1, max_length=EMOJI_MAX_LENGTH), AfterValidator(emoji_only)]


# Client to server


class ChatMessageInput(Strict):
    """What a client posts. Signed-in users always speak under their username."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(
        default="",
        max_length=MESSAGE_MAX_LENGTH,
        description="The text; it may be empty when the message sends attachments.",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        description="A guest's display name; ignored for signed-in users.",
    )
    client_id: str | None = Field(
        default=None,
        pattern=CLIENT_ID_PATTERN,
        description="Chosen by the client, unique per message: a resend with the same id "
        "is stored and delivered once.",
    )
    attachments: list[int] = Field(
        default_factory=list,
        max_length=ATTACHMENTS_PER_MESSAGE_MAX,
        description="Files to send with the message: ids of your own uploads to this room "
        "(`POST /api/chat/rooms/<room>/attachments/`) not sent yet.",
    )

    @model_validator(mode="after")
    def says_something(self) -> Self:
        if not self.message and not self.attachments:
            raise ValueError("A message needs text or an attachment.")
        return self


class NewChatMessage(Strict, BaseMessage):
    """A client posts a message to the room it is connected to."""

    action: Literal["new_chat_message"] = "new_chat_message"
    payload: ChatMessageInput


class HistoryRequest(Strict):
    before_seq: int | None = Field(
        default=None, ge=1, description="Return messages older than this seq."
    )
    around_seq: int | None = Field(
        default=None,
        ge=1,
        description="Or: the messages around this one (a search result), it among them.",
    )
    limit: int = Field(default=50, ge=1, le=HISTORY_PAGE_MAX)

    @model_validator(mode="after")
    def one_position(self) -> Self:
        if (self.before_seq is None) == (self.around_seq is None):
            raise ValueError("Give either before_seq or around_seq.")
        return self


class LoadHistory(Strict, BaseMessage):
    """Page further back through the room's history."""

    action: Literal["load_history"] = "load_history"
    payload: HistoryRequest


class Typing(Strict, BaseMessage):
    """The client's user is typing. Never stored; at most one is relayed per interval."""

    action: Literal["typing"] = "typing"
    payload: None = None


class EditRequest(Strict):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    seq: int = Field(ge=1, description="The message to change: one of your own.")
    message: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH)
    client_id: str | None = Field(
        default=None,
        pattern=CLIENT_ID_PATTERN,
        description="Unique per change: a resend with the same id changes nothing more.",
    )


class EditMessage(Strict, BaseMessage):
    """
    Change the text of one of your own messages. The edit is stored as an
    entry of the room's stream, with a seq of its own, and everyone in the
    room gets it as `message_edited`, the editor too.
    """

    action: Literal["edit_message"] = "edit_message"
    payload: EditRequest


class DeleteRequest(Strict):
    seq: int = Field(ge=1, description="The message to delete.")
    client_id: str | None = Field(default=None, pattern=CLIENT_ID_PATTERN)


class DeleteMessage(Strict, BaseMessage):
    """
    Delete a message: your own, or anyone's if you moderate the room (staff,
    and a private room's owner). It leaves a tombstone: the message stays in
    history, empty and marked deleted. Everyone gets `message_deleted`.
    """

    action: Literal["delete_message"] = "delete_message"
    payload: DeleteRequest


class ReactRequest(Strict):
    seq: int = Field(ge=1, description="The message to react to.")
    emoji: Emoji
    remove: bool = Field(default=False, description="Take your reaction back rather than add it.")
    client_id: str | None = Field(
        default=None,
        pattern=CLIENT_ID_PATTERN,
        description="Unique per change: a resend with the same id changes nothing more.",
    )


class React(Strict, BaseMessage):
    """
    Add an emoji reaction to a message, or take yours back (`remove`); the
    page toggles. A change is stored as an entry of the room's stream and
    everyone gets it as `reaction_changed`; asking for what already stands
    changes nothing and sends nothing. Signed-in members only.
    """

    action: Literal["react"] = "react"
    payload: ReactRequest


class ReadRequest(Strict):
    seq: int = Field(ge=0, description="The newest seq the user has seen in the room.")


class MarkRead(Strict, BaseMessage):
    """
    The user has read the room up to `seq`. Read state only moves forward,
    is kept for signed-in users only, and is the same on every connection.
    """

    action: Literal["mark_read"] = "mark_read"
    payload: ReadRequest


# Server to client


class ReactionView(Strict):
    emoji: str
    users: list[str] = Field(description="Who reacted so, by username, the first first.")


class AttachmentView(Strict):
    """A file sent with a message; downloaded by whoever may read the room."""

    id: int
    name: str
    size: int = Field(description="In bytes.")
    content_type: str
    url: str = Field(description="Where to download it; the server checks who asks.")
    thumbnail_url: str | None = Field(description="A small preview, for images only.")
    width: int | None = Field(description="An image's size in pixels; null for other files.")
    height: int | None


class ChatMessageView(Strict):
    """A stored message as every client sees it."""

    seq: int = Field(description="Position in the room: strictly increasing, never reused.")
    client_id: str
    message: str
    name: str
    guest: bool
    sent_at: datetime
    edited_at: datetime | None = Field(default=None, description="Null if never edited.")
    deleted: bool = Field(default=False, description="A tombstone: `message` is empty.")
    reactions: list[ReactionView] = Field(
        default_factory=list,
        description="As they stand, in history pages; a message live or replayed has none "
        "yet but those that follow it in the stream.",
    )
    attachments: list[AttachmentView] = Field(
        default_factory=list, description="Files sent with it; none once deleted."
    )


class PostedChatMessage(Strict, BaseMessage):
    """A message someone else posted to the room, or one replayed after a reconnect."""

    action: Literal["new_chat_message"] = "new_chat_message"
    payload: ChatMessageView


class MessageAcceptance(Strict):
    client_id: str
    seq: int
    sent_at: datetime
    duplicate: bool = Field(description="True when this client id had been stored before.")


class MessageAccepted(Strict, BaseMessage):
    """The sender's own message was stored; it is not echoed back otherwise."""

    action: Literal["message_accepted"] = "message_accepted"
    payload: MessageAcceptance


class HistoryPage(Strict):
    messages: list[ChatMessageView] = Field(
        description="Oldest first, each as it is now: edited, or deleted."
    )
    has_more: bool = Field(description="Older messages exist before the first one.")
    around_seq: int | None = Field(
        default=None,
        description="Set when the page answers `around_seq`: the messages around that one, "
        "not the newest; live messages continue from the newest, not from here.",
    )
    has_newer: bool = Field(
        default=False, description="With `around_seq`: newer messages exist after the last one."
    )
    last_seq: int | None = Field(
        default=None,
        description="On connect: the room's newest seq, edits and deletions included, "
        "which the page reflects; resume from it.",
    )


class ChatHistory(Strict, BaseMessage):
    """A page of history: the most recent one on connect, older ones on request."""

    action: Literal["chat_history"] = "chat_history"
    payload: HistoryPage


class MessageEdit(Strict):
    seq: int = Field(description="The edit's own place in the room's stream.")
    client_id: str
    target_seq: int = Field(description="The message edited.")
    message: str = Field(description="Its new text.")
    name: str = Field(description="Who edited it: its author.")
    edited_at: datetime


class MessageEdited(Strict, BaseMessage):
    """A message was edited: show `message` for the one at `target_seq`."""

    action: Literal["message_edited"] = "message_edited"
    payload: MessageEdit


class MessageDeletion(Strict):
    seq: int = Field(description="The deletion's own place in the room's stream.")
    client_id: str
    target_seq: int = Field(description="The message deleted.")
    name: str = Field(description="Who deleted it: its author or a moderator.")
    deleted_at: datetime


class MessageDeleted(Strict, BaseMessage):
    """A message was deleted: show a tombstone for the one at `target_seq`."""

    action: Literal["message_deleted"] = "message_deleted"
    payload: MessageDeletion


class ReactionChange(Strict):
    seq: int = Field(description="The change's own place in the room's stream.")
    client_id: str
    target_seq: int = Field(description="The message reacted to.")
    emoji: str
    name: str = Field(description="Who reacted: a username.")
    added: bool = Field(description="True if `name` added `emoji`, False if they took it back.")
    reacted_at: datetime


class ReactionChanged(Strict, BaseMessage):
    """Someone added an emoji to the message at `target_seq`, or took theirs back."""

    action: Literal["reaction_changed"] = "reaction_changed"
    payload: ReactionChange


class ResumeSummary(Strict):
    replayed: int
    last_seq: int


class ChatResumed(Strict, BaseMessage):
    """Sent after the messages missed since `last_seq` were replayed; live ones follow."""

    action: Literal["chat_resumed"] = "chat_resumed"
    payload: ResumeSummary


class ResyncReason(Strict):
    reason: Literal["too_far_behind", "pruned", "unknown_seq"]
    last_seq: int = Field(description="The room's newest seq.")


class ResyncRequired(Strict, BaseMessage):
    """`last_seq` cannot be resumed from: drop local state; a fresh history page follows."""

    action: Literal["resync_required"] = "resync_required"
    payload: ResyncReason


class ParticipantView(Strict):
    key: str = Field(description="Stable per user (or per guest browser session).")
    name: str
    guest: bool


class PresenceSnapshot(Strict):
    participants: list[ParticipantView]


class PresenceState(Strict, BaseMessage):
    """Everyone in the room right now, sent on connect."""

    action: Literal["presence_state"] = "presence_state"
    payload: PresenceSnapshot


class PresenceChange(Strict):
    participant: ParticipantView


class PresenceJoined(Strict, BaseMessage):
    """Someone came online in the room (their first connection to it)."""

    action: Literal["presence_joined"] = "presence_joined"
    payload: PresenceChange


class PresenceLeft(Strict, BaseMessage):
    """Someone went offline in the room (their last connection closed or timed out)."""

    action: Literal["presence_left"] = "presence_left"
    payload: PresenceChange


class UserTyping(Strict, BaseMessage):
    """Someone else in the room is typing."""

    action: Literal["user_typing"] = "user_typing"
    payload: PresenceChange


class DirectMessageNotice(Strict):
    room: str
    name: str
    preview: str


class DirectMessageReceived(Strict, BaseMessage):
    """A direct message arrived in another room; sent to every connection of the recipient."""

    action: Literal["direct_message"] = "direct_message"
    payload: DirectMessageNotice


class ReadPosition(Strict):
    room: str
    last_read_seq: int = Field(description="The newest seq the user has read.")
    unread: int = Field(
        description=f"Messages by others after `last_read_seq`, counted up to {UNREAD_COUNTED}."
    )
    mentions: int = Field(
        default=0,
        description=f"Messages after `last_read_seq` that name the user, up to {UNREAD_COUNTED}.",
    )


class ReadStateChanged(Strict, BaseMessage):
    """
    How far the user has read a room, sent to every connection of theirs
    each time it moves (from any tab), and on connect to one room.
    """

    action: Literal["read_state"] = "read_state"
    payload: ReadPosition


class Reader(Strict):
    user: str = Field(description="The reader's username.")
    last_read_seq: int


class ReaderList(Strict):
    readers: list[Reader]


class ReadReceipts(Strict, BaseMessage):
    """
    How far each member has read, sent on joining a direct conversation or
    a small private room (RECEIPTS_ROOM_MAX members at most); other rooms
    have no receipts.
    """

    action: Literal["read_receipts"] = "read_receipts"
    payload: ReaderList


class ReadReceipt(Strict, BaseMessage):
    """A member of a room with receipts (see `read_receipts`) read further."""

    action: Literal["read_receipt"] = "read_receipt"
    payload: Reader


class RoomActivityNotice(Strict):
    room: str
    seq: int
    name: str = Field(description="The author's name.")
    preview: str


class RoomActivity(Strict, BaseMessage):
    """
    A message arrived in one of the user's private rooms or direct
    conversations that this connection does not follow: its unread count grows.
    """

    action: Literal["room_activity"] = "room_activity"
    payload: RoomActivityNotice


class MentionNotice(Strict):
    room: str
    seq: int = Field(description="The message that names the user.")
    name: str = Field(description="Its author's name.")
    preview: str


class Mentioned(Strict, BaseMessage):
    """
    Someone named the user (`@username`) in a room they may read: sent to
    every connection of theirs, whichever rooms it follows.
    """

    action: Literal["mentioned"] = "mentioned"
    payload: MentionNotice


class MuteNotice(Strict):
    room: str
    until: datetime | None = Field(description="Until when; null when the mute is lifted.")
    reason: str = ""


class Muted(Strict, BaseMessage):
    """
    A moderator muted the user in a room (they may read, not post, edit or
    react there until `until`), or lifted the mute: sent to every connection
    of theirs to the room when it happens, and on joining while it lasts.
    """

    action: Literal["muted"] = "muted"
    payload: MuteNotice


# The connection to all of a user's rooms, ws/chat/


class RoomEntry(Strict):
    """A room as the user sees it in their room list."""

    name: str
    kind: Literal["public", "private", "direct"]
    title: str = Field(description="What to call it: a direct room by the other person's name.")
    owner: str | None = None
    members: list[str] = Field(default_factory=list, description="Empty for public rooms.")
    admins: list[str] = Field(
        default_factory=list, description="The members who help its owner run a private room."
    )
    last_seq: int = Field(description="The room's newest seq when this entry was sent.")
    last_read_seq: int | None = Field(
        default=None, description="How far the user has read; null if they never opened it."
    )
    unread: int = Field(
        default=0,
        description=f"Messages by others after `last_read_seq`, counted up to {UNREAD_COUNTED}; "
        "a public room the user never opened has none.",
    )
    mentions: int = Field(
        default=0,
        description="Messages after `last_read_seq` (after the start, if never read) that "
        f"name the user, counted up to {UNREAD_COUNTED}.",
    )


class RoomListing(Strict):
    rooms: list[RoomEntry]


class RoomList(Strict, BaseMessage):
    """
    Sent on connect: the public rooms to browse (the busiest first), then
    the user's private rooms and direct conversations.
    """

    action: Literal["room_list"] = "room_list"
    payload: RoomListing


class SubscribeRequest(Strict):
    rooms: dict[RoomName, Annotated[int, Field(ge=0)] | None] = Field(
        min_length=1,
        max_length=SUBSCRIPTIONS_MAX,
        description="The cursor: for each room, the last seq the client has, or null for "
        "a fresh history page. Each room resumes as `?last_seq=` resumes one room.",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=NAME_MAX_LENGTH,
        description="A guest's display name in these rooms' presence; ignored for users.",
    )


class Subscribe(Strict, BaseMessage):
    """
    Follow rooms on this connection. Each room answers inside `in_room`
    with the backlog and presence a connection to that room alone gets, or
    with `unsubscribed` if it is closed to the user. Subscribing again to a
    room starts it over from the given seq.
    """

    action: Literal["subscribe"] = "subscribe"
    payload: SubscribeRequest


class UnsubscribeRequest(Strict):
    rooms: list[RoomName] = Field(min_length=1, max_length=SUBSCRIPTIONS_MAX)


class Unsubscribe(Strict, BaseMessage):
    """Stop following rooms; answered by `unsubscribed` for each."""

    action: Literal["unsubscribe"] = "unsubscribe"
    payload: UnsubscribeRequest


RoomFrameIn = Annotated[
    NewChatMessage | LoadHistory | Typing | MarkRead | EditMessage | DeleteMessage | React,
    Field(discriminator="action"),
]


class RoomRequest(Strict):
    room: RoomName
    frame: RoomFrameIn


class ToRoom(Strict, BaseMessage):
    """A frame of the one-room protocol, for a subscribed room."""

    action: Literal["in_room"] = "in_room"
    payload: RoomRequest


RoomFrameOut = Annotated[
    PostedChatMessage
    | MessageEdited
    | MessageDeleted
    | ReactionChanged
    | MessageAccepted
    | ChatHistory
    | ChatResumed
    | ResyncRequired
    | PresenceState
    | PresenceJoined
    | PresenceLeft
    | UserTyping
    | ReadReceipts
    | ReadReceipt
    | Muted,
    Field(discriminator="action"),
]


class RoomUpdate(Strict):
    room: str
    frame: RoomFrameOut


class InRoom(Strict, BaseMessage):
    """A frame of the one-room protocol, from a subscribed room."""

    action: Literal["in_room"] = "in_room"
    payload: RoomUpdate


class Unsubscription(Strict):
    room: str
    reason: Literal["requested", "login_required", "forbidden", "removed"]
    detail: str = ""


class Unsubscribed(Strict, BaseMessage):
    """
    The connection no longer follows the room: the client asked, the room
    is closed to the user (log in, or not a member), or they were removed.
    """

    action: Literal["unsubscribed"] = "unsubscribed"
    payload: Unsubscription


class RoomAdded(Strict, BaseMessage):
    """The user became a member of a private room or direct conversation."""

    action: Literal["room_added"] = "room_added"
    payload: RoomEntry


class RoomRemoval(Strict):
    room: str


class RoomRemoved(Strict, BaseMessage):
    """The user is no longer a member of the room; it leaves their room list."""

    action: Literal["room_removed"] = "room_removed"
    payload: RoomRemoval
