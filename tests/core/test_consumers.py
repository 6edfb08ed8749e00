"""
What every endpoint's base consumer does: a socket ends with the session,
token or account it was opened with, a silent one closes, and a client
cannot have more frames handled at once than the limit.
"""

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from core.consumers import CLOSE_IDLE
from core.credentials import CLOSE_SIGNED_OUT
from tests.support.probe import PROBE, Gate, ProbeConsumer, authenticated_probe
from tests.support.sockets import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


async def signed_in_browser(user: User) -> Client:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    return client


async def connect(headers: list[tuple[bytes, bytes]]) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(PROBE, "/ws/probe/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from())["action"] == "authentication"
    return communicator


def cookie(client: Client) -> list[tuple[bytes, bytes]]:
    return [(b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())]


async def ended(communicator: WebsocketCommunicator) -> tuple[dict[str, Any], int]:
    """The error frame that explains the close, and the close code."""
    frame = await communicator.receive_json_from()
    closed = await communicator.receive_output()
    assert closed["type"] == "websocket.close"
    return frame, closed["code"]


async def still_open(communicator: WebsocketCommunicator) -> bool:
    """Ping, and get pong (then chanx's `complete`)."""
    await communicator.send_json_to({"action": "ping"})
    answers = [await communicator.receive_json_from() for _ in range(2)]
    return [frame["action"] for frame in answers] == ["pong", "complete"]


@pytest.fixture
async def alice() -> User:
    return await User.objects.acreate(username="alice")


async def test_logging_out_closes_the_sockets_of_that_session_only(alice: User) -> None:
    laptop, phone = await signed_in_browser(alice), await signed_in_browser(alice)
    on_laptop, on_phone = await connect(cookie(laptop)), await connect(cookie(phone))

    await database_sync_to_async(laptop.logout)()

    frame, code = await ended(on_laptop)
    assert frame == {"action": "error", "payload": {"detail": "You logged out."}}
    assert code == CLOSE_SIGNED_OUT
    assert await still_open(on_phone)
    await on_phone.disconnect()


async def test_revoking_a_token_closes_the_sockets_opened_with_it(alice: User) -> None:
    token = await Token.objects.acreate(user=alice)
    script = await connect([(b"authorization", f"Token {token.key}".encode())])
    browser = await connect(cookie(await signed_in_browser(alice)))

    await token.adelete()

    frame, code = await ended(script)
    assert frame["payload"] == {"detail": "This API token was revoked."}
    assert code == CLOSE_SIGNED_OUT
    assert await still_open(browser)
    await browser.disconnect()


async def test_deactivating_an_account_closes_all_its_sockets(alice: User) -> None:
    token = await Token.objects.acreate(user=alice)
    sockets = [
        await connect(cookie(await signed_in_browser(alice))),
        await connect([(b"authorization", f"Token {token.key}".encode())]),
    ]

    alice.is_active = False
    await alice.asave()

    for socket in sockets:
        frame, code = await ended(socket)
        assert frame["payload"] == {"detail": "This account is deactivated."}
        assert code == CLOSE_SIGNED_OUT


async def test_an_anonymous_socket_is_left_alone_when_someone_logs_out(alice: User) -> None:
    browser = await signed_in_browser(alice)
    anonymous = await connect([])

    await database_sync_to_async(browser.logout)()

    assert await still_open(anonymous)
    await anonymous.disconnect()


async def test_a_session_ended_without_a_signal_still_closes_its_sockets_at_the_next_recheck(
    alice: User,
) -> None:
    with override_settings(WEBSOCKET_CREDENTIALS_RECHECK=0.05):
        socket = await connect(cookie(await signed_in_browser(alice)))

        await Session.objects.all().adelete()  # as a restore or a bulk clean-up would

        frame, code = await ended(socket)
    assert frame["payload"] == {"detail": "Your sign-in has ended."}
    assert code == CLOSE_SIGNED_OUT


async def test_a_socket_that_says_nothing_for_the_idle_timeout_is_told_and_closed() -> None:
    with override_settings(WEBSOCKET_IDLE_TIMEOUT=0.2):
        socket = await connect([])

        frame, code = await ended(socket)
    assert frame["payload"] == {
        "detail": "Closed after 0.2 s without a message from the client.",
        "code": "idle",
    }
    assert code == CLOSE_IDLE


async def test_every_frame_restarts_the_idle_timeout() -> None:
    with override_settings(WEBSOCKET_IDLE_TIMEOUT=0.3):
        socket = await connect([])
        loop = asyncio.get_running_loop()
        speaking_until = loop.time() + 0.9
        while loop.time() < speaking_until:  # three idle timeouts, a ping every third of one
            assert await still_open(socket)
            await asyncio.sleep(0.1)

        _, code = await ended(socket)
    assert code == CLOSE_IDLE


async def test_frames_over_the_in_flight_limit_wait_unread_until_a_handler_finishes() -> None:
    gate = ProbeConsumer.gate = Gate()
    with override_settings(WEBSOCKET_MAX_IN_FLIGHT=3):
        socket = await connect([])
        for _ in range(5):
            await socket.send_json_to({"action": "probe_hold"})
        await socket.send_json_to({"action": "ping"})
        for _ in range(3):
            await asyncio.wait_for(gate.entered.get(), timeout=5)

        assert await socket.receive_nothing(timeout=0.2)  # the ping waits behind the holds
        gate.opened.set()

        answers = [(await socket.receive_json_from())["action"] for _ in range(5 + 2)]
    assert answers.count("pong") == 1
    assert answers.count("complete") == 6
    assert gate.most_waiting == 3
    assert gate.entered.qsize() == 2  # the last two holds ran once slots were free
    await socket.disconnect()


async def test_a_frame_for_a_client_that_is_gone_is_dropped_and_the_disconnect_ends_the_socket(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gone, refused = asyncio.Event(), asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if gone.is_set():
            refused.set()
            raise OSError("client disconnected")  # what uvicorn raises then

    inbox, endpoint = await authenticated_probe(send)
    gone.set()

    # An event from the channel layer, as a room's broadcast would be.
    await get_channel_layer().send(
        ProbeConsumer.channels[-1], {"type": "credentials.ended", "reason": "Signed out."}
    )
    await asyncio.wait_for(refused.wait(), 5)
    await inbox.put({"type": "websocket.disconnect", "code": 1006})
    await asyncio.wait_for(endpoint, 5)

    assert not [record for record in caplog.records if record.name == "relay.consumers"]
    assert ProbeConsumer.disconnects[-1] == 1006


@pytest.mark.parametrize(
    ("server_refuses_1011", "expected"), [(False, 1011), (True, 4011)], ids=["uvicorn", "daphne"]
)
async def test_a_lost_channel_layer_closes_the_socket_with_a_code_the_server_can_send(
    server_refuses_1011: bool, expected: int
) -> None:
    closed = asyncio.Event()
    closes: list[int] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "websocket.close":
            if server_refuses_1011 and message["code"] == 1011:
                # What daphne's WebSocket library (autobahn) raises for it.
                raise Exception("invalid close code 1011 (must be 1000 or from [3000, 4999])")
            closes.append(message["code"])
            closed.set()

    inbox, endpoint = await authenticated_probe(send)
    await get_channel_layer().send(ProbeConsumer.channels[-1], {"type": "channel_layer.lost"})
    await asyncio.wait_for(closed.wait(), 5)
    await inbox.put({"type": "websocket.disconnect", "code": expected})
    await asyncio.wait_for(endpoint, 5)

    assert closes == [expected]
