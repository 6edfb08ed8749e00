"""
Editing and deleting on /chat/ in a real browser: the change reaches the
other people in the room at once, and a reload shows the message as it is now.
"""

import re
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Locator, Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, join
from tests.chat.test_private_rooms_browser import send, sign_up
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


async def person(new_page: NewPage, server: ServerProcess, username: str, width: int) -> Page:
    page = await new_page()
    await page.set_viewport_size({"width": width, "height": 900})
    await sign_up(page, server, username)
    await page.goto(f"{server.http_url}/chat/")
    return page


async def choose(message: Locator, action: str) -> None:
    """Open a message's "⋯" menu and pick `action` (edit, delete, report, mute)."""
    await message.hover()
    await message.locator("button.more").click()
    await message.locator(f"[role=menuitem].{action}").click()


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_an_edit_and_a_deletion_reach_everyone_and_survive_a_reload(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    room = f"changes-{width}"
    ann = await person(offline_page_factory, dev_server, f"ch-ann-{width}", width)
    ben = await person(offline_page_factory, dev_server, f"ch-ben-{width}", width)
    await join(ann, room)
    await join(ben, room)
    await send(ann, "helo")
    await send(ann, "a second thought")
    bens_view = ben.locator("#messages li.message")
    await expect(bens_view.locator(".text")).to_have_text(["helo", "a second thought"])
    await bens_view.first.hover()
    await bens_view.first.locator("button.more").click()
    bens_menu = bens_view.first.locator("[role=menu]")
    await expect(bens_menu.locator(".report")).to_be_focused()  # the only choice: not his message
    await expect(bens_menu.locator(".edit")).to_be_hidden()
    await expect(bens_menu.locator(".delete")).to_be_hidden()
    await ben.keyboard.press("Escape")
    await expect(bens_menu).to_be_hidden()
    await expect(bens_view.first.locator("button.more")).to_be_focused()

    mine = ann.locator("#messages li.message").first
    await choose(mine, "edit")
    await ann.locator(".edit-input").fill("hello")
    await ann.locator(".edit-input").press("Enter")

    await expect(bens_view.first.locator(".text")).to_have_text("hello")
    await expect(bens_view.first.locator(".edited-tag")).to_be_visible()
    await expect(mine.locator(".edited-tag")).to_be_visible()

    ann.once("dialog", lambda dialog: dialog.accept())
    await choose(ann.locator("#messages li.message", has_text="a second thought"), "delete")

    await expect(bens_view.nth(1)).to_have_class(re.compile(r"\bdeleted\b"))
    await expect(bens_view.nth(1).locator(".text")).to_have_text("This message was deleted.")
    await ben.reload()
    await expect(ben.locator("#status")).to_have_text(f"Connected to {room}")
    await expect(ben.locator("#messages li.message .text")).to_have_text(
        ["hello", "This message was deleted."]
    )
    await expect(ben.locator("#messages li.message").first.locator(".edited-tag")).to_be_visible()
