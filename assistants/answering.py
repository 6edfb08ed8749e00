"""
Streaming one answer: retrieve, stream from the backend, save as it goes.

Runs as its own task so that a stop request or a disconnect can cancel it:
cancellation ends the stream at once and keeps what was streamed, marked
interrupted. A backend failure ends it with the error in the conversation.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from chanx.messages.base import BaseMessage
from django.conf import settings

from assistants import knowledge, services
from assistants.backends import Backend, BackendError, HistoryItem
from assistants.messages import (
    CompleteStreaming,
    ConversationView,
    SourceView,
    StreamChunk,
    StreamEnded,
    Streaming,
    StreamingStart,
    StreamStarted,
)
from assistants.models import Conversation, Turn

logger = logging.getLogger("relay.assistants")

Send = Callable[[BaseMessage], Awaitable[None]]


async def stream_answer(
    *,
    backend: Backend,
    conversation: Conversation,
    answer_id: int,
    question: str,
    history: list[HistoryItem],
    send: Send,
) -> None:
    """Stream the answer to `question` into turn `answer_id`, telling the client as it goes."""
    # The index has its own lock; no need to queue behind database work on the sync thread.
    sections = await sync_to_async(knowledge.search, thread_sensitive=False)(question)
    await send(
        StreamingStart(
            payload=StreamStarted(
                conversation=ConversationView(id=conversation.id, title=conversation.title),
                message_id=answer_id,
            )
        )
    )
    streamed: list[str] = []
    status, error = Turn.Status.COMPLETE, None
    saved_at = time.monotonic()
    try:
        async for chunk in backend.answer(question, history, sections):
            streamed.append(chunk)
            await send(Streaming(payload=StreamChunk(content=chunk)))
            if time.monotonic() - saved_at >= settings.ASSISTANT_SAVE_EVERY:
                await database_sync_to_async(services.save_partial)(answer_id, "".join(streamed))
                saved_at = time.monotonic()
    except asyncio.CancelledError:
        status = Turn.Status.INTERRUPTED
    except BackendError as failure:
        status, error = Turn.Status.FAILED, str(failure)
        logger.warning("Assistant backend failed: %s", failure, exc_info=failure.__cause__)
    # A failed answer has nothing to source; otherwise the sections it showed, no more.
    shown = [] if status == Turn.Status.FAILED else backend.sources(sections, "".join(streamed))
    sources = [section.as_source() for section in shown]
    await database_sync_to_async(services.finish_answer)(
        answer_id, content="".join(streamed), status=status, sources=sources, error=error or ""
    )
    await send(
        CompleteStreaming(
            payload=StreamEnded(
                message_id=answer_id,
                status=status,  # type: ignore[arg-type]
                sources=[SourceView(**s) for s in sources],
                error=error,
            )
        )
    )
