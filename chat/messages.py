"""
Wire messages of the chat endpoint, /ws/chat/<room_name>/.

Client to server: `new_chat_message`, `ping`. Server to client:
`new_chat_message` (someone else's message, with its id and time), `pong`,
and chanx's `authentication` and `error` frames.
"""

from datetime import datetime
from typing import Literal
from uuid import UUID

from chanx.messages.base import BaseMessage
from pydantic import BaseModel, ConfigDict, Field

MESSAGE_MAX_LENGTH = 2000
NAME_MAX_LENGTH = 50


class ChatMessagePayload(BaseModel):
    """What a client sends: the text and the sender's display name."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=MESSAGE_MAX_LENGTH)
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)


class NewChatMessage(BaseMessage):
    """A client posts a message to the room it is connected to."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["new_chat_message"] = "new_chat_message"
    payload: ChatMessagePayload


class PostedChatMessagePayload(ChatMessagePayload):
    """A message as the room sees it: stamped with an id and the server's time."""

    id: UUID
    sent_at: datetime


class PostedChatMessage(BaseMessage):
    """Delivered to everyone else in the room when a message is posted."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["new_chat_message"] = "new_chat_message"
    payload: PostedChatMessagePayload
