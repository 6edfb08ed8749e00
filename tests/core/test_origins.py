"""The origin policy: foreign browser pages are refused before accept, scripts are let in."""

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from django.test import override_settings

from core.origins import BrowserOriginValidator, allowed_origins
from tests.support.sockets import WebsocketCommunicator


class AcceptingConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        await self.accept()


def guarded(allowed: list[str]) -> BrowserOriginValidator:
    return BrowserOriginValidator(AcceptingConsumer.as_asgi(), allowed)


async def handshake(origin: str | None, allowed: list[str]) -> bool:
    headers = [(b"origin", origin.encode())] if origin is not None else []
    communicator = WebsocketCommunicator(guarded(allowed), "/ws/chat/lobby/", headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return bool(connected)


@pytest.mark.parametrize(
    "origin",
    ["https://example.com", "http://example.com:8000", "https://chat.example.com"],
)
async def test_a_page_from_an_allowed_origin_may_connect(origin: str) -> None:
    assert await handshake(origin, ["example.com", ".example.com"])


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.com",
        "https://evil-example.com",
        "https://example.com.evil.com",
        "https://notexample.com",
        "null",
        "not a url",
    ],
)
async def test_a_page_from_any_other_origin_is_refused_before_accept(origin: str) -> None:
    assert not await handshake(origin, ["example.com"])


async def test_subdomains_are_refused_unless_the_pattern_starts_with_a_dot() -> None:
    assert not await handshake("https://chat.example.com", ["example.com"])


async def test_a_client_without_an_origin_header_is_not_a_browser_and_may_connect() -> None:
    assert await handshake(None, ["example.com"])


async def test_an_origin_pattern_with_a_scheme_also_pins_scheme_and_port() -> None:
    allowed = ["https://example.com"]
    assert await handshake("https://example.com", allowed)
    assert not await handshake("http://example.com", allowed)
    assert not await handshake("https://example.com:8443", allowed)


@override_settings(ALLOWED_HOSTS=["relay.example"], WEBSOCKET_ALLOWED_ORIGINS=[])
def test_allowed_origins_default_to_allowed_hosts() -> None:
    assert allowed_origins() == ["relay.example"]


@override_settings(ALLOWED_HOSTS=["relay.example"], WEBSOCKET_ALLOWED_ORIGINS=["app.example"])
def test_an_explicit_origin_list_replaces_allowed_hosts() -> None:
    assert allowed_origins() == ["app.example"]
