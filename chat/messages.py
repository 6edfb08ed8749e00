"""
Wire messages of the chat endpoint, ws/chat/{room_name}/.

Client to server: `new_chat_message`, `load_history`, `typing`, `ping`.
Server to client: `chat_history` or the resumed messages on connect, then
`new_chat_message` for each message posted by others, `message_accepted` for
one's own, presence and typing events, `pong`, and chanx's `authentication`
and `error` frames.
"""

from datetime import datetime
from typing import Literal

from chanx.messages.base import BaseMessage
from pydantic import ConfigDict, Field

from core.messages import Strict

MESSAGE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 50
CLIENT_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
HISTORY_PAGE_MAX = 100


# Client to server


class ChatMessageInput(Strict):
    """What a client posts. Signed-in users always speak under their username."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH)
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


class NewChatMessage(Strict, BaseMessage):
    """A client posts a message to the room it is connected to."""

    action: Literal["new_chat_message"] = "new_chat_message"
    payload: ChatMessageInput


class HistoryRequest(Strict):
    before_seq: int = Field(ge=1, description="Return messages older than this seq.")
    limit: int = Field(default=50, ge=1, le=HISTORY_PAGE_MAX)


class LoadHistory(Strict, BaseMessage):
    """Page further back through the room's history."""

    action: Literal["load_history"] = "load_history"
    payload: HistoryRequest


class Typing(Strict, BaseMessage):
    """The client's user is typing. Never stored; at most one is relayed per interval."""

    action: Literal["typing"] = "typing"
    payload: None = None


# Server to client


class ChatMessageView(Strict):
    """A stored message as every client sees it."""

    seq: int = Field(description="Position in the room: strictly increasing, never reused.")
    client_id: str
    message: str
    name: str
    guest: bool
    sent_at: datetime


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
    messages: list[ChatMessageView] = Field(description="Oldest first.")
    has_more: bool = Field(description="Older messages exist before the first one.")


class ChatHistory(Strict, BaseMessage):
    """A page of history: the most recent one on connect, older ones on request."""

    action: Literal["chat_history"] = "chat_history"
    payload: HistoryPage


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
