"""
What the chat sends through the channel layer, and the frames it carries.

A room event carries its frame already encoded, so a broadcast to N
clients is validated and serialised once, not once per recipient.
"""

from collections.abc import Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chanx.messages.base import BaseMessage

from chat import selectors
from chat.messages import (
    ChatMessageView,
    DirectMessageNotice,
    DirectMessageReceived,
    PostedChatMessage,
    PresenceChange,
    PresenceJoined,
    PresenceLeft,
    RoomAdded,
    RoomRemoval,
    RoomRemoved,
    UserTyping,
)
from chat.models import Message, Room, StoredMessage
from chat.participants import Participant
from core.groups import chat_room_group, chat_user_group

PREVIEW_LENGTH = 80


def encode(message: BaseMessage) -> str:
    return message.model_dump_json()


def message_view(message: Message | StoredMessage) -> ChatMessageView:
    return ChatMessageView(
        seq=message.seq,
        client_id=message.client_id,
        message=message.body,
        name=message.author_name,
        guest=message.is_guest,
        sent_at=message.created_at,
    )


def message_frame(message: Message | StoredMessage) -> str:
    return encode(PostedChatMessage(payload=message_view(message)))


def _layer() -> Any:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    return layer


async def message_posted(message: StoredMessage, direct_recipients: tuple[int, ...] = ()) -> None:
    """Deliver a stored message to its room, and tell direct-message recipients elsewhere."""
    layer = _layer()
    await layer.group_send(
        chat_room_group(message.room_name),
        {
            "type": "chat.message",
            "room": message.room_name,
            "seq": message.seq,
            "client_id": message.client_id,
            "frame": message_frame(message),
        },
    )
    if direct_recipients:
        notice = encode(
            DirectMessageReceived(
                payload=DirectMessageNotice(
                    room=message.room_name,
                    name=message.author_name,
                    preview=message.body[:PREVIEW_LENGTH],
                )
            )
        )
        for member_id in direct_recipients:
            await layer.group_send(
                chat_user_group(member_id),
                {"type": "chat.notice", "room": message.room_name, "frame": notice},
            )


async def room_event(room_name: str, frame: BaseMessage, *, sender: str | None = None) -> None:
    """An ephemeral frame for everyone in the room (but `sender`, a channel name)."""
    await _layer().group_send(
        chat_room_group(room_name),
        {"type": "chat.event", "room": room_name, "frame": encode(frame), "sender": sender},
    )


async def presence_changed(
    room_name: str,
    kind: type[PresenceJoined | PresenceLeft | UserTyping],
    who: Participant,
    *,
    sender: str | None = None,
) -> None:
    """`who` joined, left or is typing: everyone in the room hears of it (but `sender`)."""
    frame = kind(payload=PresenceChange(participant=who.as_payload()))  # type: ignore[arg-type]
    await room_event(room_name, frame, sender=sender)


def membership_revoked(room_name: str, user_id: int) -> None:
    """
    Close the user's open connections to a room they were removed from; a
    connection to all their rooms drops it from their list.
    """
    frame = encode(RoomRemoved(payload=RoomRemoval(room=room_name)))
    async_to_sync(_layer().group_send)(
        chat_user_group(user_id), {"type": "chat.revoked", "room": room_name, "frame": frame}
    )


def membership_granted(room: Room, user_ids: Iterable[int]) -> None:
    """Each user's connections to all their rooms list `room`, as that user sees it."""
    members = {m.user_id: m.user for m in room.memberships.select_related("user")}
    for user_id in user_ids:
        entry = selectors.room_entry(room, members[user_id])
        frame = encode(RoomAdded(payload=entry))
        async_to_sync(_layer().group_send)(
            chat_user_group(user_id), {"type": "chat.granted", "room": room.name, "frame": frame}
        )
