"""
A server-wide ceiling on the size of incoming WebSocket frames.

Every endpoint also limits its messages' fields (see each app's messages
module); this ceiling is the outer wall, in front of JSON decoding, so no
endpoint ever parses a frame larger than WEBSOCKET_MAX_FRAME_BYTES. A frame
over it is dropped and answered with an `error` frame; the connection stays
open. ASGI servers have their own, larger, protocol limits (daphne 1 MiB,
uvicorn `--ws-max-size`, 16 MiB by default), which close with 1009.
"""

import json
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Receive = Any
Send = Any


def frame_size(event: dict[str, Any]) -> int:
    """Bytes on the wire of a `websocket.receive` event's payload."""
    if event.get("bytes") is not None:
        return len(event["bytes"])
    return len((event.get("text") or "").encode())


def too_large(size: int, limit: int) -> str:
    return json.dumps(
        {
            "action": "error",
            "payload": {"detail": f"Frame of {size} bytes is over the {limit}-byte limit."},
        }
    )


class FrameSizeLimit:
    """ASGI middleware: frames over the limit never reach the application."""

    def __init__(self, app: Any, limit: int | None = None) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        limit = self.limit or settings.WEBSOCKET_MAX_FRAME_BYTES

        async def receive_within_limit() -> dict[str, Any]:
            while True:
                event: dict[str, Any] = await receive()
                if event["type"] != "websocket.receive":
                    return event
                size = frame_size(event)
                if size <= limit:
                    return event
                await send({"type": "websocket.send", "text": too_large(size, limit)})

        return await self.app(scope, receive_within_limit, send)
