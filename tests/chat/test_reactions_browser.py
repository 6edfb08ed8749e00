"""
Reactions on /chat/ in a real browser: a reaction reaches everyone in the
room at once, toggles, and a reload shows the reactions as they stand.
"""

import re
from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, join
from tests.chat.test_message_changes_browser import person
from tests.chat.test_private_rooms_browser import send
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_reaction_reaches_everyone_toggles_and_survives_a_reload(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    room = f"reactions-{width}"
    ann = await person(offline_page_factory, dev_server, f"re-ann-{width}", width)
    ben = await person(offline_page_factory, dev_server, f"re-ben-{width}", width)
    await join(ann, room)
    await join(ben, room)
    await send(ann, "lunch?")
    bens_message = ben.locator("#messages li.message", has_text="lunch?")
    anns_message = ann.locator("#messages li.message", has_text="lunch?")
    await expect(anns_message).not_to_have_class(re.compile(r"\bpending\b"))

    await bens_message.locator("button.react").click()
    await bens_message.get_by_role("group", name="React with").get_by_text("👍").click()

    await expect(anns_message.locator(".reaction")).to_have_text(["👍 1"])
    await expect(anns_message.locator(".reaction")).to_have_attribute("aria-pressed", "false")
    await expect(bens_message.locator(".reaction")).to_have_attribute("aria-pressed", "true")
    await expect(bens_message.locator(".palette")).to_have_count(0)  # chosen: it closes

    await anns_message.locator(".reaction").click()
    await expect(bens_message.locator(".reaction")).to_have_text(["👍 2"])
    await bens_message.locator(".reaction").click()
    await expect(anns_message.locator(".reaction")).to_have_text(["👍 1"])
    await expect(anns_message.locator(".reaction")).to_have_attribute("aria-pressed", "true")

    await ben.reload()
    await expect(ben.locator("#status")).to_have_text(f"Connected to {room}")
    reaction = ben.locator("#messages li.message", has_text="lunch?").locator(".reaction")
    await expect(reaction).to_have_text(["👍 1"])
    await expect(reaction).to_have_attribute("aria-pressed", "false")
    await expect(reaction).to_have_attribute("title", f"re-ann-{width}")
