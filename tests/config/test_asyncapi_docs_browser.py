"""/asyncapi/docs/ renders the API in a browser that cannot reach the internet."""

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.support.servers import ServerProcess
from tests.support.services import require_node_modules


async def test_the_docs_page_renders_the_chat_operations_offline(
    dev_server: ServerProcess, offline_page_factory: Callable[[], Awaitable[Page]]
) -> None:
    require_node_modules()
    page = await offline_page_factory()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))

    await page.goto(f"{dev_server.http_url}/asyncapi/docs/")

    docs = page.locator("#asyncapi")
    for text in (
        "Relay real-time API 1.0.0",
        "handle_new_chat_message",
        "handle_ping",
        "Post a message to the room",
    ):
        await expect(docs.get_by_text(text).filter(visible=True).first).to_be_visible()
    await expect(docs.get_by_role("heading", name="Operations")).to_be_visible()
    assert failed == []
