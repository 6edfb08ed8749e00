"""Paths no app routes are closed with 4404; everything else is left alone."""

from typing import Any

import pytest

from config.asgi import application
from core.routing import CLOSE_UNKNOWN_ENDPOINT, UnknownPathGuard
from tests.support.sockets import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("path", ["/ws/nowhere/", "/ws/chats/", "/ws/chat/lobby/extra/", "/other/"])
async def test_a_path_no_app_routes_is_accepted_then_closed_with_4404(path: str) -> None:
    communicator = WebsocketCommunicator(application, path)

    connected, _ = await communicator.connect()

    assert connected
    closed = await communicator.receive_output()
    assert closed == {
        "type": "websocket.close",
        "code": CLOSE_UNKNOWN_ENDPOINT,
        "reason": "No WebSocket endpoint at this path",
    }


async def test_a_value_error_raised_after_the_app_started_is_not_mistaken_for_a_missing_route() -> (
    None
):
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        raise ValueError("No route found for path 'made up'.")

    communicator = WebsocketCommunicator(UnknownPathGuard(app), "/ws/chat/lobby/")
    await communicator.connect()

    with pytest.raises(ValueError, match="made up"):
        await communicator.wait()
