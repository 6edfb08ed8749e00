"""/asyncapi/docs/ renders the API in a browser that cannot reach the internet."""

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.support.asyncapi import docs_page_offline
from tests.support.servers import ServerProcess


async def test_the_docs_page_renders_the_document_offline(
    dev_server: ServerProcess, offline_page_factory: Callable[[], Awaitable[Page]]
) -> None:
    page, failed = await docs_page_offline(dev_server, offline_page_factory)

    docs = page.locator("#asyncapi")
    await expect(
        docs.get_by_text("Relay real-time API 1.0.0").filter(visible=True).first
    ).to_be_visible()
    assert failed == []
