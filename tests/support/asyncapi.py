"""The AsyncAPI docs page, as a browser without internet sees it."""

from collections.abc import Awaitable, Callable

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
