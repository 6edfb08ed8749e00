"""Helpers for talking to the chat consumer through chanx's test communicator."""

from typing import Any

from chanx.channels.testing import DjangoWebsocketCommunicator

# Frames that arrive on their own schedule; most tests look past them.
READ_STATE = frozenset({"read_state", "read_receipts", "read_receipt", "room_activity"})
CHATTER = frozenset({"complete", "presence_joined", "presence_left", "user_typing"}) | READ_STATE


def chat_frame(message: str, name: str | None = "Alice", **extra: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"message": message, **extra}
    if name is not None:
        payload["name"] = name
    return {"action": "new_chat_message", "payload": payload}


async def next_frame(
    communicator: DjangoWebsocketCommunicator, *, ignore: frozenset[str] = CHATTER
) -> dict[str, Any]:
    """The next frame whose action (inside `in_room`, the inner one's) is not in `ignore`."""
    while True:
        frame: dict[str, Any] = await communicator.receive_json_from(timeout=5)
        action = frame["action"]
        if action == "in_room":
            action = frame["payload"]["frame"]["action"]
        if action not in ignore:
            return frame


async def next_action(
    communicator: DjangoWebsocketCommunicator, action: str, *, ignore: frozenset[str] = CHATTER
) -> dict[str, Any]:
    frame = await next_frame(communicator, ignore=ignore)
    assert frame["action"] == action, frame
    return frame


async def assert_nothing_pending(
    communicator: DjangoWebsocketCommunicator, *, ignore: frozenset[str] = CHATTER
) -> None:
    """Ping and get pong as the next frame that matters: nothing else was queued."""
    await communicator.send_json_to({"action": "ping"})
    frame = await next_frame(communicator, ignore=ignore)
    assert frame == {"action": "pong", "payload": None}, frame
