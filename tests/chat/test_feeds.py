"""The `in_room` envelope a feed puts around each frame of a room followed over ws/chat/."""

from datetime import UTC, datetime

from chanx.messages.base import BaseMessage

from chat.feeds import in_room
from chat.messages import (
    ChatHistory,
    ChatMessageView,
    HistoryPage,
    InRoom,
    PostedChatMessage,
    PresenceChange,
    ResyncReason,
    ResyncRequired,
    UserTyping,
)
from chat.notifications import encode

VIEW = ChatMessageView(
    seq=7,
    client_id="c7",
    message='quotes " and \\ survive',
    name="Ann",
    guest=True,
    sent_at=datetime.now(UTC),
)
ROOM_FRAMES: list[BaseMessage] = [
    PostedChatMessage(payload=VIEW),
    ChatHistory(payload=HistoryPage(messages=[VIEW], has_more=False)),
    ResyncRequired(payload=ResyncReason(reason="pruned", last_seq=9)),
    UserTyping(payload=PresenceChange(participant={"key": "k", "name": "Ann", "guest": True})),  # type: ignore[arg-type]
]


def test_a_wrapped_frame_is_a_valid_in_room_message_holding_the_frame_unchanged() -> None:
    wrap = in_room("lobby-2")

    for frame in ROOM_FRAMES:
        wrapped = InRoom.model_validate_json(wrap(encode(frame)))

        assert wrapped.payload.room == "lobby-2"
        assert wrapped.payload.frame == frame


def test_a_wrapped_frame_reads_as_the_envelope_the_schema_describes() -> None:
    frame = ROOM_FRAMES[0]

    wrapped = in_room("lobby")(encode(frame))

    assert wrapped == encode(InRoom(payload={"room": "lobby", "frame": frame}))  # type: ignore[arg-type]
