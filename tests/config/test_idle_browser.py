"""
Silent sockets close after WEBSOCKET_IDLE_TIMEOUT, but an open page's do not:
the pages say `ping` five times per timeout. (The system page's echo demo
sends nothing of its own, so its socket closes when idle and reconnects.)
"""

from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Page, expect
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from core.consumers import CLOSE_IDLE
from tests.support.client import receive_action
from tests.support.servers import migrated_env, running_server

NewPage = Callable[[], Awaitable[Page]]
IDLE_TIMEOUT = 1.0
COUNT_SOCKETS = """
window.socketsOpened = {};
const PageSocket = window.WebSocket;
window.WebSocket = class extends PageSocket {
  constructor(url, ...rest) {
    super(url, ...rest);
    const path = new URL(url).pathname;
    window.socketsOpened[path] = (window.socketsOpened[path] || 0) + 1;
  }
};
"""


async def test_open_pages_keep_their_sockets_through_idle_timeouts_that_close_silent_ones(
    tmp_path: Path, e2e_redis_url: str | None, offline_page_factory: NewPage
) -> None:
    env = migrated_env(tmp_path, redis_url=e2e_redis_url, WEBSOCKET_IDLE_TIMEOUT=str(IDLE_TIMEOUT))
    with running_server(env, tmp_path) as server:
        pages = []
        for path, endpoint in (
            ("/chat/", "/ws/chat/"), ("/assistants/", "/ws/assistants/"),
            ("/system/", "/ws/system/"),
        ):  # fmt: skip
            page = await offline_page_factory()
            await page.add_init_script(COUNT_SOCKETS)
            await page.goto(f"{server.http_url}{path}")
            if path == "/chat/":
                await page.fill("#name", "Ada")
                await page.fill("#room", "quiet")
                await page.click("#join")
            await expect(page.locator("#status")).to_have_attribute("data-state", "open")
            pages.append((page, endpoint))

        async with connect(f"{server.ws_url}/ws/assistants/") as silent:
            await receive_action(silent, "authentication")
            try:
                async for _ in silent:
                    pass
            except ConnectionClosed:
                pass
        assert silent.close_code == CLOSE_IDLE
        await pages[0][0].wait_for_timeout(2 * IDLE_TIMEOUT * 1000)  # the pages outlive two more

        for page, endpoint in pages:
            assert await page.evaluate(f"window.socketsOpened['{endpoint}']") == 1
            await expect(page.locator("#status")).to_have_attribute("data-state", "open")
