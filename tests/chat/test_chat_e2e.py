"""Chat against a real daphne process, driven by real WebSocket clients."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from chat.messages import MESSAGE_MAX_LENGTH
from tests.support.client import assert_answers_ping, receive_action, receive_json, send_json
from tests.support.servers import ServerProcess


@asynccontextmanager
async def joined(server: ServerProcess, room: str) -> AsyncIterator[ClientConnection]:
    """Connected to `room`, past the authentication, history and presence frames."""
    async with connect(f"{server.ws_url}/ws/chat/{room}/") as ws:
        auth = await receive_action(ws, "authentication")
        assert auth["payload"]["status_code"] == 200
        await receive_action(ws, "chat_history")
        await receive_action(ws, "presence_state")
        yield ws


def chat_frame(message: str, name: str) -> dict[str, object]:
    return {"action": "new_chat_message", "payload": {"message": message, "name": name}}


async def test_two_clients_in_a_room_chat_and_a_third_in_another_room_hears_nothing(
    dev_server: ServerProcess,
) -> None:
    async with (
        joined(dev_server, "e2e-lobby") as alice,
        joined(dev_server, "e2e-lobby") as bob,
        joined(dev_server, "e2e-other") as outsider,
    ):
        await send_json(alice, chat_frame("hi bob", "Alice"))
        received = await receive_action(bob, "new_chat_message")
        await receive_action(alice, "message_accepted")
        await send_json(bob, chat_frame("hi alice", "Bob"))
        answered = await receive_action(alice, "new_chat_message")
        await receive_action(bob, "message_accepted")

        assert received["payload"]["message"] == "hi bob"
        assert received["payload"]["name"] == "Alice"
        assert answered["payload"]["message"] == "hi alice"
        await assert_answers_ping(alice)
        await assert_answers_ping(bob)
        await assert_answers_ping(outsider)


@pytest.mark.parametrize(
    ("frame", "error_type"),
    [
        ("{not json", "json_invalid"),
        ('{"action": "dance", "payload": null}', "union_tag_invalid"),
        (json.dumps(chat_frame("x" * (MESSAGE_MAX_LENGTH + 1), "A")), "string_too_long"),
        ('["new_chat_message"]', "model_type"),
    ],
    ids=["malformed-json", "unknown-action", "oversized-message", "not-an-object"],
)
async def test_bad_input_gets_an_error_frame_and_the_connection_still_answers_ping(
    dev_server: ServerProcess, frame: str, error_type: str
) -> None:
    async with joined(dev_server, "e2e-errors") as ws:
        await ws.send(frame)

        error = await receive_action(ws, "error")

        assert error["payload"][0]["type"] == error_type
        await assert_answers_ping(ws)


async def test_a_binary_frame_gets_an_error_frame_and_the_connection_stays_up(
    dev_server: ServerProcess,
) -> None:
    async with joined(dev_server, "e2e-errors") as ws:
        await ws.send(b"\x00\x01")

        error = await receive_action(ws, "error")

        assert "binary frames are not supported" in error["payload"][0]["msg"]
        await assert_answers_ping(ws)


async def test_an_invalid_room_is_refused_after_the_authentication_frame(
    dev_server: ServerProcess,
) -> None:
    async with connect(f"{dev_server.ws_url}/ws/chat/{'r' * 65}/") as ws:
        auth = await receive_action(ws, "authentication")
        with pytest.raises(ConnectionClosed) as closed:
            await receive_json(ws)

    assert auth["payload"]["status_code"] == 403
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_an_unknown_path_is_closed_with_4404_not_an_http_error(
    dev_server: ServerProcess,
) -> None:
    async with connect(f"{dev_server.ws_url}/ws/nowhere/") as ws:
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()

    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4404


async def test_a_page_on_a_foreign_origin_cannot_open_a_socket(dev_server: ServerProcess) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            f"{dev_server.ws_url}/ws/chat/lobby/", origin=Origin("https://evil.example")
        ):
            pass

    assert refused.value.response.status_code == 403


async def test_a_page_served_by_the_server_itself_may_open_a_socket(
    dev_server: ServerProcess,
) -> None:
    async with connect(
        f"{dev_server.ws_url}/ws/chat/lobby/", origin=Origin(dev_server.origin)
    ) as ws:
        assert (await receive_action(ws, "authentication"))["payload"]["status_code"] == 200
