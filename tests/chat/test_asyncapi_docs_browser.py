"""The chat endpoint's operations are on the offline docs page."""

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.support.asyncapi import docs_page_offline
from tests.support.servers import ServerProcess


async def test_the_docs_page_shows_the_chat_operations(
    dev_server: ServerProcess, offline_page_factory: Callable[[], Awaitable[Page]]
) -> None:
    page, failed = await docs_page_offline(dev_server, offline_page_factory)

    docs = page.locator("#asyncapi")
    for text in ("handle_new_chat_message", "handle_ping", "Post a message to the room"):
        await expect(docs.get_by_text(text).filter(visible=True).first).to_be_visible()
    await expect(docs.get_by_role("heading", name="Operations")).to_be_visible()
    assert failed == []
