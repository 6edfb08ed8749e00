"""
Wire messages of the assistant endpoint, ws/assistants/.

Client to server: `assistant_message` (the question, as a plain string),
`stop_streaming`, `ping`. Server to client: `conversation_state` on connect,
then for each answer `streaming_start`, `streaming` chunks and
`complete_streaming`; `pong`; chanx's `authentication` and `error` frames.
"""

from typing import Literal
from uuid import UUID

from chanx.messages.base import BaseMessage
from pydantic import ConfigDict, Field

from core.messages import Strict

QUESTION_MAX_LENGTH = 4000


# Client to server


class AssistantMessage(Strict, BaseMessage):
    """Ask the assistant something. Answers stream back one at a time per conversation."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: Literal["assistant_message"] = "assistant_message"
    payload: str = Field(min_length=1, max_length=QUESTION_MAX_LENGTH)


class StopStreaming(Strict, BaseMessage):
    """Stop the answer being streamed; what was streamed is kept, marked interrupted."""

    action: Literal["stop_streaming"] = "stop_streaming"
    payload: None = None


# Server to client


class SourceView(Strict):
    title: str
    source: str = Field(description="The documentation file the section comes from.")


class TurnView(Strict):
    id: int
    role: Literal["user", "assistant"]
    content: str
    status: Literal["streaming", "complete", "interrupted", "failed"]
    sources: list[SourceView]
    error: str = Field(default="", description="Why a failed answer failed.")


class ConversationView(Strict):
    id: UUID
    title: str


class ConversationSnapshot(Strict):
    conversation: ConversationView | None = Field(
        description="None until the first question starts a conversation."
    )
    turns: list[TurnView] = Field(description="Oldest first; an answer may still be streaming.")


class ConversationState(Strict, BaseMessage):
    """The conversation this connection is bound to, as stored; sent on connect."""

    action: Literal["conversation_state"] = "conversation_state"
    payload: ConversationSnapshot


class StreamStarted(Strict):
    content: str = ""
    conversation: ConversationView
    message_id: int


class StreamingStart(Strict, BaseMessage):
    """An answer begins."""

    action: Literal["streaming_start"] = "streaming_start"
    payload: StreamStarted


class StreamChunk(Strict):
    content: str


class Streaming(Strict, BaseMessage):
    """The next piece of the answer's text."""

    action: Literal["streaming"] = "streaming"
    payload: StreamChunk


class StreamEnded(Strict):
    content: str = ""
    message_id: int
    status: Literal["complete", "interrupted", "failed"]
    sources: list[SourceView]
    error: str | None = Field(default=None, description="Why the answer failed, if it did.")


class CompleteStreaming(Strict, BaseMessage):
    """The answer ended: completed, stopped (interrupted), or failed with an error."""

    action: Literal["complete_streaming"] = "complete_streaming"
    payload: StreamEnded
