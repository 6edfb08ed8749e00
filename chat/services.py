"""Chat operations, free of any WebSocket: consumers call these."""

import uuid

from django.utils import timezone

from chat.messages import ChatMessagePayload, PostedChatMessage, PostedChatMessagePayload


def post_message(*, payload: ChatMessagePayload) -> PostedChatMessage:
    """Stamp a validated message with its id and time, ready for the room."""
    return PostedChatMessage(
        payload=PostedChatMessagePayload(
            message=payload.message,
            name=payload.name,
            id=uuid.uuid4(),
            sent_at=timezone.now(),
        )
    )
