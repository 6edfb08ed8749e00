"""A thin JSON layer over a real `websockets` client connection."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection

RECEIVE_TIMEOUT = 5.0
# Frames that arrive on their own schedule; most tests look past them.
CHATTER = frozenset(
    {"presence_joined", "presence_left", "user_typing", "read_state", "read_receipts"}
    | {"read_receipt", "room_activity"}
)


async def send_json(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


async def receive_json(ws: ClientConnection, *, ignore: frozenset[str] = CHATTER) -> Any:
    """The next frame not in `ignore`, decoded; fails if none arrives in RECEIVE_TIMEOUT."""
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("action") not in ignore:
                return frame


async def receive_action(
    ws: ClientConnection, action: str, *, ignore: frozenset[str] = CHATTER
) -> dict[str, Any]:
    """The next frame, which must have `action`."""
    frame = await receive_json(ws, ignore=ignore)
    assert frame["action"] == action, frame
    return dict(frame)


async def assert_answers_ping(ws: ClientConnection) -> None:
    """Ping, and get pong as the next frame that matters: the socket is up, nothing pending."""
    await send_json(ws, {"action": "ping"})
    assert await receive_json(ws) == {"action": "pong", "payload": None}
