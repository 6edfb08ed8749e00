"""A thin JSON layer over a real `websockets` client connection."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection

RECEIVE_TIMEOUT = 5.0


async def send_json(ws: ClientConnection, frame: dict[str, Any]) -> None:
    await ws.send(json.dumps(frame))


async def receive_json(ws: ClientConnection) -> Any:
    """The next frame, decoded; fails the test if none arrives in RECEIVE_TIMEOUT."""
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        return json.loads(await ws.recv())


async def receive_action(ws: ClientConnection, action: str) -> dict[str, Any]:
    """The next frame, which must have `action`."""
    frame = await receive_json(ws)
    assert frame["action"] == action, frame
    return dict(frame)


async def assert_answers_ping(ws: ClientConnection) -> None:
    """Ping, and get pong as the very next frame: the socket is up and nothing was pending."""
    await send_json(ws, {"action": "ping"})
    assert await receive_json(ws) == {"action": "pong", "payload": None}
