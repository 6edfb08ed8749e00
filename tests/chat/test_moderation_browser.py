"""
Moderation on /chat/ in a real browser: reporting a message, and a mute
that the muted person sees at once, and again after a reload.
"""

import re

import pytest
from playwright.async_api import expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, NewPage, create_room, join, person
from tests.chat.test_message_changes_browser import choose
from tests.chat.test_private_rooms_browser import send
from tests.support.servers import ServerProcess


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_member_reports_a_message_and_the_owner_mutes_its_author_who_sees_until_when(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    room = f"mod-room-{width}"
    async with (
        person(offline_page_factory, dev_server, f"mod-ann-{width}", width) as ann,
        person(offline_page_factory, dev_server, f"mod-ben-{width}", width) as ben,
    ):
        await create_room(ann, room, members=f"mod-ben-{width}")
        await ben.reload()
        await join(ben, room)
        await send(ann, "welcome")
        await send(ben, "buy cheap watches")
        spam = ann.locator("#messages li.message", has_text="buy cheap watches")
        welcome = ben.locator("#messages li.message", has_text="welcome")
        await welcome.hover()
        await welcome.locator("button.more").click()
        await expect(
            welcome.locator("[role=menuitem].mute")
        ).to_be_hidden()  # Ben moderates nothing
        await expect(welcome.locator("[role=menuitem].report")).to_be_visible()

        ben.once("dialog", lambda dialog: dialog.accept("just testing"))
        await welcome.locator("[role=menuitem].report").click()
        await expect(ben.locator("#messages .system").last).to_have_text(
            "Reported to the moderators."
        )

        ann.once("dialog", lambda dialog: dialog.accept("30"))
        await choose(spam, "mute")

        await expect(ann.locator("#messages .system").last).to_have_text(
            f"mod-ben-{width} is muted here for 30 min."
        )
        await expect(ben.locator("#message-input")).to_be_disabled()
        await expect(ben.locator("#message-input")).to_have_attribute(
            "placeholder", re.compile(r"^Muted here until \d{1,2}:\d{2}( [AP]M)?\.$")
        )
        await ben.reload()
        await expect(ben.locator("#status")).to_have_text(f"Connected to {room}")
        await expect(ben.locator("#message-input")).to_be_disabled()
