"""The /assistants/ page in a real browser, against a real server process."""

import asyncio
from collections.abc import Awaitable, Callable

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
