"""The smallest endpoint on the project's base consumer, for tests of what every endpoint does."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, Literal

from chanx.core.decorators import ws_handler
from chanx.messages.base import BaseMessage
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

from core.consumers import SiteConsumer
from core.guards import session_and_user


class ProbeHold(BaseMessage):
    """Keep a handler busy until the test opens the gate."""

    action: Literal["probe_hold"] = "probe_hold"
    payload: None = None


class Gate:
    """Where `probe_hold` handlers wait, and a count of how many wait at once."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.waiting = 0
        self.most_waiting = 0
        self.entered: asyncio.Queue[None] = asyncio.Queue()

    async def wait(self) -> None:
        self.waiting += 1
        self.most_waiting = max(self.most_waiting, self.waiting)
        self.entered.put_nowait(None)
        try:
            await self.opened.wait()
        finally:
            self.waiting -= 1


class ProbeConsumer(SiteConsumer):
    gate: Gate | None = None
    channels: ClassVar[list[str]] = []  # the channel of every socket authenticated
    disconnects: ClassVar[list[int]] = []  # the code of every disconnect handled

    async def post_authentication(self) -> None:
        await super().post_authentication()
        self.channels.append(self.channel_name)

    async def websocket_disconnect(self, message: Any) -> None:
        self.disconnects.append(message.get("code", 1000))
        await super().websocket_disconnect(message)

    @ws_handler
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()

    @ws_handler
    async def handle_probe_hold(self, _message: ProbeHold) -> None:
        assert self.gate is not None, "set ProbeConsumer.gate first"
        await self.gate.wait()


PROBE = session_and_user(ProbeConsumer.as_asgi())
"""The probe behind the session and user middleware, as config.asgi serves endpoints."""


async def authenticated_probe(
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> tuple[asyncio.Queue[dict[str, Any]], asyncio.Task[None]]:
    """
    The probe on a socket whose server side is `send`, driven by hand, once it
    has sent its `authentication` frame: the queue of what the client sends it,
    and the endpoint's task.
    """
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    authenticated = asyncio.Event()

    async def server_side(message: dict[str, Any]) -> None:
        if '"authentication"' in message.get("text", ""):
            authenticated.set()
        await send(message)

    scope = {"type": "websocket", "path": "/ws/probe/", "headers": [], "query_string": b""}
    endpoint = asyncio.create_task(PROBE(scope, inbox.get, server_side))
    await inbox.put({"type": "websocket.connect"})
    await asyncio.wait_for(authenticated.wait(), 5)
    return inbox, endpoint
