"""The chat page survives a dropped connection: it reconnects, resumes and shows nothing twice."""

import json
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, WebSocketRoute, expect
from websockets.asyncio.client import connect

from tests.chat.test_private_rooms_browser import sign_up
from tests.support.client import receive_action, send_json
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]
PRESENCE = frozenset({"presence_state", "presence_joined", "presence_left"})


class FlakyNetwork:
    """Routes the page's WebSockets through the test, which can cut them off at will."""

    def __init__(self) -> None:
        self.online = True
        self.sockets: list[WebSocketRoute] = []
        self.sent: list[dict[str, Any]] = []  # what the page sent, in order
        self.received: list[str] = []  # the actions of what the server sent, in order

    async def route(self, ws: WebSocketRoute) -> None:
        if not self.online:
            await ws.close(code=4000, reason="network down")
            return
        server = ws.connect_to_server()

        def forward(message: str | bytes) -> None:
            self.sent.append(json.loads(message))
            server.send(message)

        def back(message: str | bytes) -> None:
            self.received.append(json.loads(message)["action"])
            ws.send(message)

        ws.on_message(forward)
        server.on_message(back)
        self.sockets.append(ws)

    def subscriptions(self) -> list[dict[str, Any]]:
        """The cursors the page subscribed with, oldest first."""
        return [f["payload"]["rooms"] for f in self.sent if f["action"] == "subscribe"]

    async def drop(self) -> None:
        self.online = False
        for ws in self.sockets:
            await ws.close(code=4000, reason="network down")
        self.sockets.clear()


async def test_when_the_connection_drops_then_the_page_catches_up_on_what_it_missed_once(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    network = FlakyNetwork()
    page = await offline_page_factory()
    await page.route_web_socket("**/ws/chat/**", network.route)
    await page.goto(f"{dev_server.http_url}/chat/")
    await page.fill("#name", "Watcher")
    await page.fill("#room", "flaky")
    await page.click("#join")
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "open")

    async with connect(f"{dev_server.ws_url}/ws/chat/flaky/") as sender:
        await receive_action(sender, "authentication")
        await receive_action(sender, "chat_history")
        await send_json(
            sender, {"action": "new_chat_message", "payload": {"message": "before", "name": "S"}}
        )
        await expect(page.locator("#messages .text")).to_have_text(["before"])

        await network.drop()
        await expect(status).to_have_attribute("data-state", "reconnecting")
        for n in range(5):
            await send_json(
                sender,
                {"action": "new_chat_message", "payload": {"message": f"missed {n}", "name": "S"}},
            )
        for _ in range(5):
            await receive_action(
                sender,
                "message_accepted",
                ignore=PRESENCE,
            )
        network.online = True

        await expect(status).to_have_attribute("data-state", "open", timeout=20_000)
        await send_json(
            sender, {"action": "new_chat_message", "payload": {"message": "after", "name": "S"}}
        )

        expected = ["before", *[f"missed {n}" for n in range(5)], "after"]
        await expect(page.locator("#messages .text")).to_have_text(expected)

    first_seq = await page.locator("#messages .message").first.get_attribute("data-seq")
    assert network.subscriptions() == [{"flaky": None}, {"flaky": int(first_seq or 0)}]


async def test_when_offline_then_what_you_write_waits_as_pending_and_is_sent_once(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    network = FlakyNetwork()
    page = await offline_page_factory()
    await page.route_web_socket("**/ws/chat/**", network.route)
    await page.goto(f"{dev_server.http_url}/chat/")
    await page.fill("#name", "Writer")
    await page.fill("#room", "offline-writing")
    await page.click("#join")
    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "open")

    async with connect(f"{dev_server.ws_url}/ws/chat/offline-writing/") as reader:
        await receive_action(reader, "authentication")
        await receive_action(reader, "chat_history")
        await network.drop()
        await expect(status).to_have_attribute("data-state", "reconnecting")

        for text in ("written offline", "and again"):
            await page.fill("#message-input", text)
            await page.click("#send")
        pending = page.locator("#messages .message.own.pending .text")
        await expect(pending).to_have_text(["written offline", "and again"])

        network.online = True
        await expect(status).to_have_attribute("data-state", "open", timeout=20_000)
        await expect(page.locator("#messages .message.pending")).to_have_count(0)
        await expect(page.locator("#messages .text")).to_have_text(["written offline", "and again"])

        arrived = [
            await receive_action(reader, "new_chat_message", ignore=PRESENCE) for _ in range(2)
        ]
        assert [frame["payload"]["message"] for frame in arrived] == [
            "written offline",
            "and again",
        ]
        await send_json(reader, {"action": "ping"})
        # Nothing but presence came first: no duplicate.
        assert await receive_action(reader, "pong", ignore=PRESENCE)


async def test_when_offline_then_a_reaction_waits_and_is_sent_once_back_online(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    network = FlakyNetwork()
    page = await offline_page_factory()
    await page.route_web_socket("**/ws/chat/**", network.route)
    await sign_up(page, dev_server, "offline-reactor")
    await page.goto(f"{dev_server.http_url}/chat/?room=offline-reacting")
    status = page.locator("#status")
    await expect(status).to_have_text("Connected to offline-reacting")

    async with connect(f"{dev_server.ws_url}/ws/chat/offline-reacting/") as reader:
        await receive_action(reader, "authentication")
        await receive_action(reader, "chat_history")
        await send_json(
            reader, {"action": "new_chat_message", "payload": {"message": "hi", "name": "R"}}
        )
        message = page.locator("#messages li.message", has_text="hi")
        await expect(message).to_have_attribute("data-seq", "1")
        await network.drop()
        await expect(status).to_have_attribute("data-state", "reconnecting")

        await message.locator("button.react").click()
        await message.get_by_role("group", name="React with").get_by_text("👍").click()
        await expect(message.locator(".reaction")).to_have_count(0)  # shown once it is stored

        network.online = True
        await expect(status).to_have_attribute("data-state", "open", timeout=20_000)
        await expect(message.locator(".reaction")).to_have_text(["👍 1"])
        await expect(message.locator(".reaction")).to_have_attribute("aria-pressed", "true")
        quiet = frozenset(
            {"presence_state", "presence_joined", "presence_left", "message_accepted"}
        )
        change = await receive_action(reader, "reaction_changed", ignore=quiet)
        await send_json(reader, {"action": "ping"})
        assert await receive_action(reader, "pong", ignore=quiet)  # sent once: no second change

    assert (change["payload"]["emoji"], change["payload"]["name"]) == ("👍", "offline-reactor")
