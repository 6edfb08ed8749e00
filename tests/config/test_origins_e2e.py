"""The origin policy holds on every WebSocket endpoint of a real server."""

import json
import urllib.request
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin

from tests.support.asyncapi import Endpoint, endpoints
from tests.support.servers import ServerProcess

# The development server allows localhost, 127.0.0.1 and [::1].
FOREIGN = [
    "https://evil.example",
    "http://evil-localhost:8000",  # a suffix of the allowed name is not the name
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://notlocalhost",
    "null",  # sandboxed frames and file: pages
]


@pytest.fixture(scope="module")
def every_endpoint(dev_server: ServerProcess) -> list[Endpoint]:
    with urllib.request.urlopen(f"{dev_server.http_url}/asyncapi/schema/", timeout=5) as reply:
        document: dict[str, Any] = json.loads(reply.read())
    found = endpoints(document)
    assert found, "the document lists the endpoints"
    return found


async def handshake(server: ServerProcess, endpoint: Endpoint, origin: str | None) -> int:
    """101 when the handshake succeeds, else the HTTP status it was refused with."""
    url = f"{server.ws_url}{endpoint.path()}"
    try:
        async with connect(url, origin=Origin(origin) if origin else None) as ws:
            assert json.loads(await ws.recv())["action"] == "authentication"
            return 101
    except InvalidStatus as refused:
        return int(refused.response.status_code)


@pytest.mark.parametrize("origin", FOREIGN)
async def test_a_foreign_origin_is_refused_before_accept_on_every_endpoint(
    dev_server: ServerProcess, every_endpoint: list[Endpoint], origin: str
) -> None:
    statuses = {e.name: await handshake(dev_server, e, origin) for e in every_endpoint}

    assert set(statuses.values()) == {403}, statuses


@pytest.mark.parametrize("origin", ["own", "localhost", None])
async def test_the_sites_own_pages_and_clients_without_an_origin_connect_to_every_endpoint(
    dev_server: ServerProcess, every_endpoint: list[Endpoint], origin: str | None
) -> None:
    header = {
        "own": dev_server.origin,
        "localhost": f"http://localhost:{dev_server.port}",
        None: None,
    }[origin]

    statuses = {e.name: await handshake(dev_server, e, header) for e in every_endpoint}

    assert set(statuses.values()) == {101}, statuses
