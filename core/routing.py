"""The edge of the WebSocket URL tree: what happens to a path no app routes."""

from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer

# Close code for a path that matches no endpoint (4000 + HTTP 404).
CLOSE_UNKNOWN_ENDPOINT = 4404


class UnknownEndpointConsumer(AsyncWebsocketConsumer):
    """Answers a path that no app routes: accept, then close with 4404 and a reason."""

    async def connect(self) -> None:
        """Runs on the handshake; the close code tells the client what went wrong."""
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN_ENDPOINT, reason="No WebSocket endpoint at this path")


class UnknownPathGuard:
    """
    Wraps the outermost URLRouter so an unrouted path is closed with 4404.

    URLRouter raises ValueError when no route matches, which ASGI servers turn
    into an HTTP 500 or a dropped handshake. It raises before calling any
    consumer, so a ValueError with nothing sent yet is exactly that case.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.not_found = UnknownEndpointConsumer.as_asgi()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        sent_anything = False

        async def tracking_send(message: Any) -> None:
            nonlocal sent_anything
            sent_anything = True
            await send(message)

        try:
            await self.inner(scope, receive, tracking_send)
        except ValueError as exc:
            if sent_anything or not str(exc).startswith("No route found"):
                raise
            await self.not_found(scope, receive, send)
