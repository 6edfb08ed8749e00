"""The AsyncAPI document as tests use it: its endpoints, and its docs page offline."""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Page

from tests.support.servers import ServerProcess
from tests.support.services import require_node_modules


async def docs_page_offline(
    server: ServerProcess, new_page: Callable[[], Awaitable[Page]]
) -> tuple[Page, list[str]]:
    """The docs page opened offline, and the list its failed requests are added to."""
    require_node_modules()
    page = await new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    await page.goto(f"{server.http_url}/asyncapi/docs/")
    return page, failed


@dataclass(frozen=True)
class Endpoint:
    """One WebSocket endpoint as the AsyncAPI document describes it."""

    name: str
    address: str
    actions: tuple[str, ...]
    """The `action` of every message a client may send it."""

    def path(self, **parameters: str) -> str:
        """The endpoint's path, its {parameters} filled in (with "fuzz" by default)."""
        filled = re.sub(r"\{(\w+)\}", lambda match: parameters.get(match[1], "fuzz"), self.address)
        return f"/{filled}"


def resolve(document: dict[str, Any], reference: str) -> Any:
    node: Any = document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node


def endpoints(document: dict[str, Any]) -> list[Endpoint]:
    """Every channel, with the actions of the messages its `receive` operations take."""
    actions: dict[str, list[str]] = {name: [] for name in document.get("channels", {})}
    for operation in document.get("operations", {}).values():
        if operation["action"] != "receive":
            continue
        channel = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        for message_ref in operation["messages"]:
            message = resolve(document, resolve(document, message_ref["$ref"])["$ref"])
            schema = resolve(document, message["payload"]["$ref"])
            actions[channel].append(schema["properties"]["action"]["const"])
    return [
        Endpoint(name, channel["address"], tuple(sorted(actions[name])))
        for name, channel in document.get("channels", {}).items()
    ]
