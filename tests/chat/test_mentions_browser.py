"""
Mentions on /chat/ in a real browser, on PostgreSQL: the user named hears
of it wherever they are, the room list counts it until they read the room,
and the message stands out for them.
"""

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, join
from tests.chat.test_message_changes_browser import person
from tests.chat.test_private_rooms_browser import send
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_mention_reaches_the_user_named_and_counts_until_they_read_it(
    pg_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    room, ann_name, ben_name = f"mentions-{width}", f"me-ann-{width}", f"me-ben-{width}"
    ann = await person(offline_page_factory, pg_server, ann_name, width)
    ben = await person(offline_page_factory, pg_server, ben_name, width)
    await join(ann, room)

    await send(ann, f"lunch, @{ben_name}?")

    notice = ben.locator("#notices a", has_text=f"{ann_name} mentioned you in {room}")
    await expect(notice).to_contain_text(f"lunch, @{ben_name}?")
    await ben.reload()  # the count is kept by the server
    listed = ben.locator("#public-rooms li", has_text=room)
    await expect(listed.locator(".mention-count")).to_have_text("@1")
    await expect(listed.locator("a")).to_have_attribute("aria-label", f"{room}, 1 mention")

    await listed.locator("a").click()

    await expect(ben.locator("#status")).to_have_text(f"Connected to {room}")
    await expect(ben.locator("#messages li.message.mentions-me .text")).to_have_text(
        f"lunch, @{ben_name}?"
    )
    await expect(ann.locator("#messages li.message.mentions-me")).to_have_count(0)
    await join(ben, f"elsewhere-{width}")  # read: the count is gone, here and after a reload
    await expect(listed.locator(".mention-count")).to_have_count(0)
    await ben.reload()
    await expect(ben.locator("#public-rooms li", has_text=room)).to_have_count(1)
    await expect(listed.locator(".mention-count")).to_have_count(0)
