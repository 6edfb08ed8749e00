"""
What the chat sends through the channel layer, and the frames it carries.

A room event carries its frame already encoded, so a broadcast to N
clients is validated and serialised once, not once per recipient.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from chanx.messages.base import BaseMessage
from django.urls import reverse

from chat import selectors
from chat.messages import (
    AttachmentView,
    ChatMessageView,
    DirectMessageNotice,
    DirectMessageReceived,
    Mentioned,
    MentionNotice,
    MessageDeleted,
    MessageDeletion,
    MessageEdit,
    MessageEdited,
    Muted,
    MuteNotice,
    PostedChatMessage,
    PresenceChange,
    PresenceJoined,
    PresenceLeft,
    ReactionChange,
    ReactionChanged,
    ReactionView,
    Reader,
    ReadPosition,
    ReadReceipt,
    ReadStateChanged,
    RoomActivity,
    RoomActivityNotice,
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


def message_view(
    message: Message | StoredMessage, reactions: list[ReactionView] | None = None
) -> ChatMessageView:
    """
    A message as it is now, with `reactions` as they stand (see
    selectors.reactions_on); one just posted has been neither edited nor deleted.
    """
    return ChatMessageView(
        seq=message.seq,
        client_id=message.client_id,
        message=message.body,
        name=message.author_name,
        guest=message.is_guest,
        sent_at=message.created_at,
        edited_at=message.edited_at if isinstance(message, Message) else None,
        deleted=isinstance(message, Message) and message.deleted_at is not None,
        reactions=reactions or [],
        attachments=[attachment_view(shown) for shown in message.attachments or ()],
    )


def attachment_view(shown: dict[str, Any]) -> AttachmentView:
    """A file as a message keeps it (models.Attachment.as_shown), with where to get it."""
    url = reverse("chat:attachment", args=[shown["id"], shown["name"]])
    thumbnail = reverse("chat:thumbnail", args=[shown["id"]]) if shown["width"] else None
    return AttachmentView(**shown, url=url, thumbnail_url=thumbnail)


def message_frame(entry: Message | StoredMessage) -> str:
    """The frame of an entry of a room's stream: a message, or a change to one."""
    if isinstance(entry, Message) and entry.kind == Message.Kind.EDIT:
        assert entry.target_seq is not None, "an edit names the message it changes"
        edit = MessageEdit(
            seq=entry.seq,
            client_id=entry.client_id,
            target_seq=entry.target_seq,
            message=entry.body,
            name=entry.author_name,
            edited_at=entry.created_at,
        )
        return encode(MessageEdited(payload=edit))
    if isinstance(entry, Message) and entry.kind == Message.Kind.DELETE:
        assert entry.target_seq is not None, "a deletion names the message it deletes"
        deletion = MessageDeletion(
            seq=entry.seq,
            client_id=entry.client_id,
            target_seq=entry.target_seq,
            name=entry.author_name,
            deleted_at=entry.created_at,
        )
        return encode(MessageDeleted(payload=deletion))
    if isinstance(entry, Message) and entry.kind in (Message.Kind.REACT, Message.Kind.UNREACT):
        assert entry.target_seq is not None, "a reaction names the message it is to"
        change = ReactionChange(
            seq=entry.seq,
            client_id=entry.client_id,
            target_seq=entry.target_seq,
            emoji=entry.body,
            name=entry.author_name,
            added=entry.kind == Message.Kind.REACT,
            reacted_at=entry.created_at,
        )
        return encode(ReactionChanged(payload=change))
    return encode(PostedChatMessage(payload=message_view(entry)))


def _layer() -> Any:
    layer = get_channel_layer()
    assert layer is not None, "CHANNEL_LAYERS is not configured"
    return layer


async def message_posted(
    message: StoredMessage,
    members: tuple[int, ...] = (),
    *,
    direct: bool = False,
    mentioned: tuple[int, ...] = (),
) -> None:
    """
    Deliver a stored message to its room, tell the room's other `members`
    (of a private or `direct` room) on their connections elsewhere, and
    every connection of each user it names (`mentioned`) that it does.
    """
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
    preview = message.body[:PREVIEW_LENGTH]
    if mentioned:
        notice = MentionNotice(
            room=message.room_name, seq=message.seq, name=message.author_name, preview=preview
        )
        frame = encode(Mentioned(payload=notice))
        for user_id in mentioned:
            await layer.group_send(
                chat_user_group(user_id),
                {"type": "chat.mention", "room": message.room_name, "frame": frame},
            )
    if not members:
        return
    activity = encode(
        RoomActivity(
            payload=RoomActivityNotice(
                room=message.room_name, seq=message.seq, name=message.author_name, preview=preview
            )
        )
    )
    direct_notice = None
    if direct:
        direct_notice = encode(
            DirectMessageReceived(
                payload=DirectMessageNotice(
                    room=message.room_name, name=message.author_name, preview=preview
                )
            )
        )
    for member_id in members:
        group = chat_user_group(member_id)
        await layer.group_send(
            group, {"type": "chat.activity", "room": message.room_name, "frame": activity}
        )
        if direct_notice is not None:
            await layer.group_send(
                group, {"type": "chat.notice", "room": message.room_name, "frame": direct_notice}
            )


async def message_changed(change: Message) -> None:
    """Deliver a change to a message to its room, as the entry of the stream it is."""
    await _layer().group_send(
        chat_room_group(change.room.name),
        {
            "type": "chat.message",
            "room": change.room.name,
            "seq": change.seq,
            "client_id": change.client_id,
            "frame": message_frame(change),
        },
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


def read_marked(position: ReadPosition, user_id: int, reader: Reader, receipts: bool) -> None:
    """
    Every connection of the user learns how far they have read; in a room
    with receipts, everyone in it does.
    """
    layer = _layer()
    frame = encode(ReadStateChanged(payload=position))
    async_to_sync(layer.group_send)(
        chat_user_group(user_id), {"type": "chat.read", "room": position.room, "frame": frame}
    )
    if receipts:
        async_to_sync(room_event)(position.room, ReadReceipt(payload=reader))


def membership_revoked(room_name: str, user_id: int) -> None:
    """
    Close the user's open connections to a room they were removed from; a
    connection to all their rooms drops it from their list.
    """
    frame = encode(RoomRemoved(payload=RoomRemoval(room=room_name)))
    async_to_sync(_layer().group_send)(
        chat_user_group(user_id), {"type": "chat.revoked", "room": room_name, "frame": frame}
    )


def mute_changed(room_name: str, user_id: int, until: datetime | None, reason: str) -> None:
    """The user's connections learn of a mute in a room (`until`), or of its end (None)."""
    frame = encode(Muted(payload=MuteNotice(room=room_name, until=until, reason=reason)))
    event = {
        "type": "chat.muted",
        "room": room_name,
        "user": user_id,
        "until": None if until is None else until.isoformat(),
        "frame": frame,
    }
    async_to_sync(_layer().group_send)(chat_user_group(user_id), event)


def membership_granted(room: Room, user_ids: Iterable[int]) -> None:
    """Each user's connections to all their rooms list `room`, as that user sees it."""
    members = {m.user_id: m.user for m in room.memberships.select_related("user")}
    rooms = (
        Room.objects.filter(pk=room.pk)
        .select_related("owner")
        .prefetch_related("memberships__user")
    )
    for user_id in user_ids:
        member = members[user_id]
        entry = selectors.room_entry(selectors.with_reads(rooms, member).get(), member)
        frame = encode(RoomAdded(payload=entry))
        async_to_sync(_layer().group_send)(
            chat_user_group(user_id), {"type": "chat.granted", "room": room.name, "frame": frame}
        )
