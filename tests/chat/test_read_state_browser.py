"""
Read state on /chat/ in a real browser, on PostgreSQL: unread counts that
survive a reload and agree across tabs, the "New messages" divider, and
"Seen by" in a direct conversation. On a desktop and on a phone.
"""

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, open_direct
from tests.chat.test_private_rooms_browser import send, sign_up
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


async def at_width(new_page: NewPage, width: int) -> Page:
    page = await new_page()
    await page.set_viewport_size({"width": width, "height": 900})
    return page


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_unread_messages_are_counted_in_every_tab_until_read_and_the_sender_sees_it(
    pg_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    ann, ben = f"rs-ann-{width}", f"rs-ben-{width}"
    ann_tab = await at_width(offline_page_factory, width)
    ben_page = await at_width(offline_page_factory, width)
    await sign_up(ann_tab, pg_server, ann)
    await sign_up(ben_page, pg_server, ben)
    await ann_tab.goto(f"{pg_server.http_url}/chat/")
    await ben_page.goto(f"{pg_server.http_url}/chat/")
    await open_direct(ben_page, ann)
    for text in ("one", "two", "three"):
        await send(ben_page, text)
    await expect(ben_page.locator("#messages li.message:not(.pending)")).to_have_count(3)

    unread = ann_tab.locator("#direct-rooms li", has_text=ben).locator(".unread")
    await expect(unread).to_have_text("3")
    link = ann_tab.locator("#direct-rooms a", has_text=ben)
    await expect(link).to_have_attribute("aria-label", f"{ben}, 3 unread")
    await ann_tab.reload()
    await expect(unread).to_have_text("3")
    other_tab = await ann_tab.context.new_page()
    await other_tab.set_viewport_size({"width": width, "height": 900})
    await other_tab.goto(f"{pg_server.http_url}/chat/")
    other_unread = other_tab.locator("#direct-rooms li", has_text=ben).locator(".unread")
    await expect(other_unread).to_have_text("3")

    await ann_tab.locator("#direct-rooms a", has_text=ben).click()

    await expect(ann_tab.locator("#messages .unread-divider")).to_have_text("New messages")
    first_unread = ann_tab.locator("#messages .unread-divider + li.message .text")
    await expect(first_unread).to_have_text("one")
    await expect(other_unread).to_have_count(0)
    await expect(unread).to_have_count(0)
    await expect(ben_page.locator("#messages .seen")).to_have_text([f"Seen by {ann}"])
    await expect(ben_page.locator("#messages li.message").last.locator(".seen")).to_have_count(1)
