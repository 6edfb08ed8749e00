"""Chat clients over real WebSocket connections to a real server process."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from tests.support.client import CHATTER, receive_action, receive_json, send_json
from tests.support.servers import ServerProcess

# Presence snapshots arrive once per connection; these tests are about messages.
QUIET = CHATTER | {"presence_state"}


@asynccontextmanager
async def joined(
    server: ServerProcess, room: str, last_seq: int | None = None, **options: Any
) -> AsyncIterator[ClientConnection]:
    """
    Connected, past the authentication frame (what follows depends on
    `last_seq`); `options` go to websockets' `connect`.
    """
    query = "" if last_seq is None else f"?last_seq={last_seq}"
    async with connect(f"{server.ws_url}/ws/chat/{room}/{query}", **options) as ws:
        assert (await receive_action(ws, "authentication"))["payload"]["status_code"] == 200
        yield ws


@asynccontextmanager
async def following(
    server: ServerProcess, rooms: Mapping[str, int | None], **options: Any
) -> AsyncIterator[ClientConnection]:
    """Connected to ws/chat/, past the room list, subscribed to `rooms` with that cursor."""
    async with connect(f"{server.ws_url}/ws/chat/", **options) as ws:
        assert (await receive_action(ws, "authentication"))["payload"]["status_code"] == 200
        await receive_action(ws, "room_list")
        await send_json(ws, {"action": "subscribe", "payload": {"rooms": dict(rooms)}})
        yield ws


async def receive_in_room(ws: ClientConnection, action: str) -> tuple[str, dict[str, Any]]:
    """The next room frame past presence and typing, which must be `action`: (room, payload)."""
    while True:
        frame = await receive_json(ws)
        assert frame["action"] == "in_room", frame
        inner = frame["payload"]["frame"]
        if inner["action"] not in QUIET:
            assert inner["action"] == action, frame
            return frame["payload"]["room"], inner["payload"]


async def send_many(ws: ClientConnection, count: int, *, start: int = 0) -> list[int]:
    """
    Post `count` messages without waiting, then every acknowledgement; their
    seqs, in the order the messages were sent (acknowledgements may not be).
    """
    client_ids = [f"c{n}" for n in range(start, start + count)]
    for n, client_id in enumerate(client_ids, start):
        await send_json(
            ws,
            {
                "action": "new_chat_message",
                "payload": {"message": f"m{n}", "name": "Sender", "client_id": client_id},
            },
        )
    acks = [await receive_action(ws, "message_accepted", ignore=QUIET) for _ in range(count)]
    seqs = {ack["payload"]["client_id"]: ack["payload"]["seq"] for ack in acks}
    return [seqs[client_id] for client_id in client_ids]


async def messages_until_resumed(ws: ClientConnection) -> list[dict[str, Any]]:
    frames = []
    while (frame := await receive_json(ws, ignore=QUIET))["action"] != "chat_resumed":
        assert frame["action"] == "new_chat_message", frame
        frames.append(frame["payload"])
    return frames
