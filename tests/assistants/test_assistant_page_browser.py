"""The /assistants/ page in a real browser, against a real server process."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


async def test_when_stopped_mid_answer_then_the_partial_answer_is_kept_across_a_reload(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    page = await offline_page_factory()
    await page.goto(f"{dev_server.http_url}/assistants/")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")

    await page.fill("#question", "How do I broadcast to a group?")
    await page.press("#question", "Enter")
    answer = page.locator(".turn.assistant")
    await expect(answer).to_have_class("turn assistant streaming")
    await expect(answer.locator(".body")).to_contain_text("Groups and broadcasting")
    await page.click("#stop")

    await expect(answer).to_have_class("turn assistant interrupted")
    await expect(answer.locator(".meta")).to_contain_text("Interrupted.")
    kept = await answer.locator(".body").inner_text()
    assert kept.startswith("From")
    assert "?conversation=" in page.url

    await page.reload()
    await expect(page.locator(".turn.user")).to_have_text(["How do I broadcast to a group?"])
    await expect(page.locator(".turn.assistant")).to_have_class("turn assistant interrupted")
    assert await page.locator(".turn.assistant .body").inner_text() == kept
    await expect(page.locator("#conversations li.current")).to_have_count(1)


async def test_when_an_answer_has_markdown_and_html_then_only_safe_markup_is_rendered(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    page = await offline_page_factory()
    await page.goto(f"{dev_server.http_url}/assistants/")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")

    await page.fill("#question", '<img src=x onerror="window.owned=1"> how do I test a consumer')
    await page.press("#question", "Enter")

    answer = page.locator(".turn.assistant")
    await expect(answer).to_have_class("turn assistant complete", timeout=20_000)
    await expect(page.locator(".turn.user")).to_have_text(
        ['<img src=x onerror="window.owned=1"> how do I test a consumer']
    )
    assert await answer.locator("pre code").count() >= 1, "code blocks render as code"
    assert await answer.locator("strong").count() >= 1, "Markdown emphasis renders"
    assert await page.evaluate("window.owned") is None
    assert await page.locator(".turn img").count() == 0


class HeldState:
    """Routes the page's socket through the test, holding back the server's `conversation_state`."""

    def __init__(self) -> None:
        self.held: list[str | bytes] = []
        self.arrived = asyncio.Event()
        self.page_side: WebSocketRoute | None = None

    async def route(self, ws: WebSocketRoute) -> None:
        self.page_side = ws
        server = ws.connect_to_server()
        server.on_message(self.from_server)

    def from_server(self, message: str | bytes) -> None:
        assert self.page_side is not None
        if not self.arrived.is_set() and "conversation_state" in str(message):
            self.held.append(message)
            self.arrived.set()
        else:
            self.page_side.send(message)

    def release(self) -> None:
        assert self.page_side is not None
        for message in self.held:
            self.page_side.send(message)


async def test_a_question_is_taken_once_the_conversation_is_shown_and_stays_on_the_page(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    state = HeldState()
    page = await offline_page_factory()
    await page.route_web_socket("**/ws/assistants/**", state.route)
    await page.goto(f"{dev_server.http_url}/assistants/")
    await asyncio.wait_for(state.arrived.wait(), 10)

    # Connected, but the conversation is not on the page yet: it would replace what is asked now.
    await expect(page.locator("#question")).to_be_disabled()
    await expect(page.locator("#status")).not_to_have_attribute("data-state", "open")

    state.release()
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")
    await page.fill("#question", "How do I test a consumer?")
    await page.press("#question", "Enter")

    await expect(page.locator(".turn.assistant")).to_have_class(
        "turn assistant complete", timeout=20_000
    )
    await expect(page.locator(".turn.user")).to_have_text(["How do I test a consumer?"])


PAGE_WIDTHS = [1280, 390]  # a desktop and a phone
WIDE_TABLE = (
    "| "
    + " | ".join(f"`SETTING_NUMBER_{n}`" for n in range(12))
    + " |\n|"
    + " --- |" * 12
    + "\n| "
    + " | ".join(f"value {n}" for n in range(12))
    + " |"
)
LONG_WORD = "Unbroken" + "x" * 400
WIDE_ANSWER = f"From **A wide table**:\n\n{WIDE_TABLE}\n\n{LONG_WORD}"


class ScriptedServer:
    """Stands in for the assistant's socket: shows a stored conversation, streams one answer."""

    def __init__(self, turns: list[dict[str, Any]]) -> None:
        self.turns = turns

    async def route(self, ws: WebSocketRoute) -> None:
        ws.on_message(lambda message: self.answer(ws, message))
        self.send(ws, "conversation_state", {"conversation": None, "turns": self.turns})

    def answer(self, ws: WebSocketRoute, message: str | bytes) -> None:
        if json.loads(message)["action"] != "assistant_message":
            return
        conversation = {"id": "5f0c2d52-8a5e-4a52-9d1e-2b3f1c0a9e11", "title": "Wide"}
        self.send(ws, "streaming_start", {"conversation": conversation, "message_id": 99})
        for line in WIDE_ANSWER.splitlines(keepends=True):
            self.send(ws, "streaming", {"content": line})
        self.send(
            ws,
            "complete_streaming",
            {"message_id": 99, "status": "complete", "sources": [], "error": None},
        )

    @staticmethod
    def send(ws: WebSocketRoute, action: str, payload: dict[str, Any]) -> None:
        ws.send(json.dumps({"action": action, "payload": payload}))


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_an_answer_with_a_wide_table_and_a_long_word_does_not_widen_the_page(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    stored = {"id": 1, "role": "assistant", "content": WIDE_ANSWER, "status": "complete"}
    server = ScriptedServer([{**stored, "sources": [], "error": ""}])
    page = await offline_page_factory()
    await page.set_viewport_size({"width": width, "height": 900})
    await page.route_web_socket("**/ws/assistants/**", server.route)
    await page.goto(f"{dev_server.http_url}/assistants/")
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")

    await page.fill("#question", "Show me a wide table")
    await page.press("#question", "Enter")

    answers = page.locator(".turn.assistant.complete")
    await expect(answers).to_have_count(2)  # the stored one and the streamed one
    await expect(answers.locator("table")).to_have_count(2)
    await expect(answers.last).to_contain_text(LONG_WORD)
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    ask = await page.locator("#ask").bounding_box()
    assert ask is not None
    assert ask["x"] + ask["width"] <= width


async def test_a_failed_answer_lists_no_sources(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    # As stored before failed answers stopped keeping the sections found for them.
    failed = {"id": 1, "role": "assistant", "content": "", "status": "failed"}
    source = {"title": "Groups and broadcasting", "source": "docs/guide/groups.md"}
    server = ScriptedServer([{**failed, "sources": [source], "error": "The server went away."}])
    page = await offline_page_factory()
    await page.route_web_socket("**/ws/assistants/**", server.route)
    await page.goto(f"{dev_server.http_url}/assistants/")

    meta = page.locator(".turn.assistant.failed .meta")
    await expect(meta).to_have_text("Failed: The server went away.")
