"""Clients that send too fast are told to wait; those that keep on are disconnected."""

from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.test import override_settings
from limits import parse

from core.ratelimit import CLOSE_RATE_LIMITED, ConnectionWindow
from tests.support.credentials import session_headers
from tests.support.probe import PROBE
from tests.support.services import require_redis, unique_prefix
from tests.support.sockets import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


def limits(**rates: str) -> override_settings:
    """Rate-limit settings for one test, counted under a key prefix of its own."""
    return override_settings(
        WEBSOCKET_RATE_PER_CONNECTION=rates.get("per_connection", "1000/minute"),
        WEBSOCKET_RATE_PER_USER=rates.get("per_user", "1000/minute"),
        WEBSOCKET_RATE_STRIKES=rates.get("strikes", "1000/minute"),
        WEBSOCKET_RATE_STORAGE=rates.get("storage", "async+memory://"),
        WEBSOCKET_RATE_NAMESPACE=unique_prefix(),
    )


async def connect(headers: list[tuple[bytes, bytes]] | None = None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(PROBE, "/ws/probe/", headers=headers or [])
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from())["action"] == "authentication"
    return communicator


async def ping(communicator: WebsocketCommunicator) -> dict[str, Any]:
    """The answer to a ping: `pong` (then chanx's `complete`), or an `error`."""
    await communicator.send_json_to({"action": "ping"})
    frame: dict[str, Any] = await communicator.receive_json_from()
    if frame["action"] == "pong":
        assert (await communicator.receive_json_from())["action"] == "complete"
    return frame


def test_a_connection_window_counts_up_to_its_amount_per_window() -> None:
    window = ConnectionWindow(parse("3/minute"))

    assert [window.hit(600.0 + n) for n in range(4)] == [True, True, True, False]


def test_the_previous_window_counts_as_far_as_it_still_overlaps() -> None:
    window = ConnectionWindow(parse("4/minute"))
    assert all(window.hit(600.0 + n) for n in range(4))

    # Half of the previous window's 4 frames still count: room for 2 more.
    assert [window.hit(690.0) for _ in range(3)] == [True, True, False]
    # Two windows later nothing overlaps any more.
    assert all(window.hit(780.0) for _ in range(4))


def test_a_refused_frame_is_told_when_one_fits_again() -> None:
    window = ConnectionWindow(parse("4/minute"))
    assert all(window.hit(600.0) for _ in range(4))
    assert window.hit(665.0)  # the previous 4 weigh 3.67 now: one more fits

    wait = window.retry_after(665.0)

    # The previous window's share falls below the 3 frames left at 675 s.
    assert wait == pytest.approx(10.0)
    assert not window.hit(665.0 + wait - 0.5)
    assert window.hit(665.0 + wait + 0.01)


async def test_a_connection_over_its_rate_is_told_when_to_retry_and_stays_open() -> None:
    with limits(per_connection="3/minute"):
        client = await connect()
        answers = [await ping(client) for _ in range(4)]

    assert [a["action"] for a in answers] == ["pong", "pong", "pong", "error"]
    refusal = answers[-1]["payload"]
    assert refusal["code"] == "rate_limited"
    assert 0 < refusal["retry_after"] <= 60
    assert client.output_queue.empty()
    await client.disconnect()


async def test_a_connection_that_keeps_sending_after_being_told_is_closed_with_4429() -> None:
    with limits(per_connection="2/minute", strikes="3/minute"):
        client = await connect()
        answers = [(await ping(client))["action"] for _ in range(5)]
        await client.send_json_to({"action": "ping"})
        final = await client.receive_json_from()
        closed = await client.receive_output()

    assert answers == ["pong", "pong", "error", "error", "error"]
    assert final["payload"]["code"] == "rate_limited"
    assert closed == {
        "type": "websocket.close",
        "code": CLOSE_RATE_LIMITED,
        "reason": "Too many messages",
    }


async def test_the_per_user_rate_counts_every_connection_of_the_user_on_every_process() -> None:
    redis_url = require_redis()
    alice = await User.objects.acreate(username="alice")
    bob = await User.objects.acreate(username="bob")

    with limits(per_user="4/minute", storage=f"async+{redis_url}"):
        tab_one = await connect(await database_sync_to_async(session_headers)(alice))
        tab_two = await connect(await database_sync_to_async(session_headers)(alice))
        bobs = await connect(await database_sync_to_async(session_headers)(bob))
        alices = [(await ping(tab))["action"] for tab in (tab_one, tab_two) * 3]
        bob_answers = [(await ping(bobs))["action"] for _ in range(4)]

    assert alices == ["pong", "pong", "pong", "pong", "error", "error"]
    assert bob_answers == ["pong"] * 4
    for client in (tab_one, tab_two, bobs):
        await client.disconnect()
