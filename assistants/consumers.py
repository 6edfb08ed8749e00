"""The assistant consumer: one connection, one conversation, one answer streaming at a time."""

import asyncio
from typing import Any, cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import ErrorMessage, PongMessage

from assistants import services
from assistants.answering import stream_answer
from assistants.backends import current_backend
from assistants.messages import (
    AssistantMessage,
    CompleteStreaming,
    ConversationSnapshot,
    ConversationState,
    ConversationView,
    SourceView,
    StopStreaming,
    Streaming,
    StreamingStart,
    TurnView,
)
from assistants.models import Conversation, Turn
from core.authenticators import SiteAuthenticator
from core.consumers import SiteConsumer
from core.groups import assistant_conversation_group
from core.owners import owner_from_scope

ONE_AT_A_TIME = "An answer is still streaming: wait for it or stop it before asking again."


def turn_view(turn: Turn) -> TurnView:
    return TurnView(
        id=turn.pk,
        role=turn.role,  # type: ignore[arg-type]
        content=turn.content,
        status=turn.status,  # type: ignore[arg-type]
        sources=[SourceView(**source) for source in turn.sources],
        error=turn.error,
    )


class AssistantConsumer(SiteConsumer):
    """
    The assistant, at ws/assistants/. Connect with `?conversation=<id>` to
    continue a conversation; without it, the first question starts a new one.
    """

    emits = [ConversationState]

    conversation_id: Any = None
    answering: asyncio.Task[None] | None = None
    closed: bool = False

    async def post_authentication(self) -> None:
        """Runs once admitted: load the conversation asked for and send it."""
        await super().post_authentication()
        user = cast(SiteAuthenticator, self.authenticator).user
        self.owner = owner_from_scope(user, self.scope, self.channel_name)
        query = parse_qs(self.scope.get("query_string", b"").decode("latin1"))
        wanted = (query.get("conversation") or [None])[0]
        if wanted:
            conversation = await database_sync_to_async(services.conversation_of)(
                self.owner, wanted
            )
            if conversation is None:
                await self.send_message(ErrorMessage(payload={"detail": "No such conversation."}))
            else:
                # Join before reading: an answer ending meanwhile is announced after the state.
                await self.watch(conversation.pk)
        await self.send_state()

    async def send_state(self) -> None:
        """The bound conversation as stored (or an empty one), as `conversation_state`."""
        conversation: Conversation | None = None
        turns: list[Turn] = []
        if self.conversation_id is not None:
            conversation = await database_sync_to_async(services.conversation_of)(
                self.owner, self.conversation_id
            )
        if conversation is not None:
            turns = await database_sync_to_async(services.turns_of)(conversation)
        view = None
        if conversation is not None:
            view = ConversationView(id=conversation.pk, title=conversation.title)
        await self.send_message(
            ConversationState(
                payload=ConversationSnapshot(conversation=view, turns=[turn_view(t) for t in turns])
            )
        )

    @ws_handler(summary="Check the connection is alive")
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler(
        summary="Ask the assistant",
        description="Answered by `streaming_start`, `streaming` chunks and `complete_streaming`. "
        "One answer at a time per conversation: asking while one streams is an error.",
        output_type=[StreamingStart, Streaming, CompleteStreaming],
    )
    async def handle_assistant_message(self, message: AssistantMessage) -> None:
        if self.answering is not None and not self.answering.done():
            await self.send_message(ErrorMessage(payload={"detail": ONE_AT_A_TIME}))
            return
        try:
            started = await database_sync_to_async(services.start_answer)(
                owner=self.owner, conversation_id=self.conversation_id, question=message.payload
            )
        except services.AssistantError as refused:
            await self.send_message(ErrorMessage(payload={"detail": str(refused)}))
            return
        await self.watch(started.conversation.pk)
        await self.tell_other_tabs()
        self.answering = asyncio.create_task(
            stream_answer(
                backend=current_backend(),
                conversation=started.conversation,
                answer_id=started.answer.pk,
                question=message.payload,
                history=started.history,
                send=self.send_while_open,
            )
        )
        try:
            await asyncio.shield(self.answering)
        finally:
            await self.tell_other_tabs()

    @ws_handler(summary="Stop the answer being streamed", output_type=CompleteStreaming)
    async def handle_stop_streaming(self, _message: StopStreaming) -> None:
        if self.answering is None or self.answering.done():
            await self.send_message(ErrorMessage(payload={"detail": "No answer is streaming."}))
            return
        self.answering.cancel()

    async def send_while_open(self, message: BaseMessage) -> None:
        """Frames of the answer go to the socket that asked, while it is open."""
        if not self.closed:
            await self.send_message(message)

    async def watch(self, conversation_id: Any) -> None:
        """Bind this connection to a conversation; it hears when answers there start and end."""
        self.conversation_id = conversation_id
        await self.join_group(assistant_conversation_group(conversation_id))

    async def tell_other_tabs(self) -> None:
        await self.channel_layer.group_send(
            assistant_conversation_group(self.conversation_id),
            {"type": "assistant.changed", "sender": self.channel_name},
        )

    async def assistant_changed(self, event: dict[str, Any]) -> None:
        """An answer started or ended in another tab: show the conversation as stored now."""
        if event["sender"] != self.channel_name:
            await self.send_state()

    async def websocket_disconnect(self, message: Any) -> None:
        """Runs when the socket closes: the answer in progress stops, what streamed is kept."""
        self.closed = True
        if self.answering is not None and not self.answering.done():
            self.answering.cancel()
            await asyncio.wait([self.answering])
        await super().websocket_disconnect(message)
