"""No endpoint ever sees a frame over the server-wide size limit."""

import json
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

from core.frames import FrameSizeLimit
from tests.support.sockets import WebsocketCommunicator


class Recorder(AsyncWebsocketConsumer):
    """Answers every frame with its size, so a test sees what got through."""

    async def connect(self) -> None:
        await self.accept()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(bytes_data) if bytes_data is not None else len((text_data or "").encode())
        await self.send(text_data=json.dumps({"received": size}))


async def connected(limit: int) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(FrameSizeLimit(Recorder.as_asgi(), limit), "/ws/x/")
    assert (await communicator.connect())[0]
    return communicator


async def reply(communicator: WebsocketCommunicator) -> Any:
    return json.loads(await communicator.receive_from())


async def test_a_frame_within_the_limit_reaches_the_endpoint() -> None:
    communicator = await connected(limit=10)

    await communicator.send_to(text_data="é" * 5)  # 10 bytes in UTF-8

    assert await reply(communicator) == {"received": 10}
    await communicator.disconnect()


async def test_a_frame_over_the_limit_gets_an_error_and_the_connection_stays_open() -> None:
    communicator = await connected(limit=10)

    await communicator.send_to(text_data="é" * 6)
    await communicator.send_to(bytes_data=b"x" * 11)
    await communicator.send_to(text_data="fine")

    assert await reply(communicator) == {
        "action": "error",
        "payload": {"detail": "Frame of 12 bytes is over the 10-byte limit."},
    }
    assert (await reply(communicator))["payload"]["detail"].startswith("Frame of 11 bytes")
    assert await reply(communicator) == {"received": 4}
    await communicator.disconnect()
