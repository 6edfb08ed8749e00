"""
Search on /chat/ in a real browser: a result opens its room at that message,
with the ones around it, far older than the newest page; then back to the latest.
"""

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, join
from tests.chat.test_message_changes_browser import person
from tests.chat.test_private_rooms_browser import send
from tests.support.client import receive_action
from tests.support.rooms import joined, send_many
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_result_opens_its_room_at_the_message_and_the_latest_is_one_click_away(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int, tmp_path: Path
) -> None:
    room = f"search-{width}"
    ann = await person(offline_page_factory, dev_server, f"se-ann-{width}", width)
    await join(ann, room)
    await send(ann, f"the needle {width} is here")
    await expect(ann.locator("#messages li.message")).to_have_count(1)
    async with joined(dev_server, room) as chatter:
        await receive_action(chatter, "chat_history")
        await send_many(chatter, 60)  # the needle is older than the newest page of 50
    await join(ann, f"elsewhere-{width}")

    await ann.fill("#search-input", f"NEEDLE {width}")
    await ann.click("#search")
    result = ann.locator("#search-results a")
    await expect(result).to_have_count(1)
    await expect(result).to_contain_text(f"{room} · se-ann-{width}")
    await result.click()

    found = ann.locator("#messages li.message.found")
    await expect(found).to_contain_text(f"the needle {width} is here")
    await expect(found).to_be_in_viewport()
    await expect(ann.locator("#context-bar")).to_be_visible()
    assert await ann.evaluate("document.documentElement.scrollWidth") <= width
    await ann.screenshot(path=str(tmp_path / f"search-{width}.png"), full_page=True)

    await ann.click("#jump-latest")
    await expect(ann.locator("#context-bar")).to_be_hidden()
    await expect(ann.locator("#messages li.message .text").last).to_have_text("m59")
