"""
The signed-in sidebar of /chat/ in a real browser: its lists follow the
server, its forms and notices follow what you do, and direct conversations
go by the other person's name. Every test runs on a desktop and a phone.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from playwright.async_api import Page, expect

from tests.chat.test_private_rooms_browser import send, sign_up
from tests.chat.test_reconnect_browser import FlakyNetwork
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]
PAGE_WIDTHS = [1280, 390]  # a desktop and a phone
TITLE = "Chat · Relay"
INTERNAL_DIRECT_NAME = re.compile(r"dm-\d+-\d+")


@asynccontextmanager
async def person(
    new_page: NewPage, server: ServerProcess, username: str, width: int
) -> AsyncIterator[Page]:
    """A signed-in user on /chat/; the page must raise no script error meanwhile."""
    page = await new_page()
    await page.set_viewport_size({"width": width, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await sign_up(page, server, username)
    await page.goto(f"{server.http_url}/chat/")
    yield page
    assert errors == []


async def join(page: Page, room: str) -> None:
    if await page.locator("#leave").is_visible():
        await page.click("#leave")
    await page.fill("#room", room)
    await page.click("#join")
    await expect(page.locator("#status")).to_have_text(f"Connected to {room}")


async def create_room(page: Page, room: str, members: str = "") -> None:
    await page.fill("#new-room-name", room)
    await page.fill("#new-room-members", members)
    await page.click("#create-room")
    await expect(page.locator("#status")).to_have_text(f"Connected to {room}")


async def open_direct(page: Page, username: str) -> None:
    await page.fill("#direct-username", username)
    await page.click("#open-direct")
    await expect(page).to_have_url(re.compile(r"\?room=dm-"))
    await expect(page.locator("#status")).to_have_attribute("data-state", "open")


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_room_you_create_is_listed_at_once_and_only_then_is_the_form_emptied(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with person(offline_page_factory, dev_server, f"cr-ann-{width}", width) as ann:
        await expect(ann.locator("#my-rooms li")).to_have_text(["None yet."])
        await ann.fill("#new-room-name", f"cr-plans-{width}")
        await ann.fill("#new-room-members", "nobody-by-that-name")
        await ann.click("#create-room")
        await expect(ann.locator("#room-feedback")).to_have_text(
            "No such user: nobody-by-that-name."
        )
        await expect(ann.locator("#new-room-name")).to_have_value(f"cr-plans-{width}")

        await create_room(ann, f"cr-plans-{width}", members="")

        await expect(ann.locator("#my-rooms a")).to_have_text([f"cr-plans-{width}"])
        await expect(ann.locator("#my-rooms li.current a")).to_have_text(f"cr-plans-{width}")
        await expect(ann.locator("#new-room-name")).to_have_value("")
        await expect(ann.locator("#new-room-members")).to_have_value("")
        await expect(ann.locator("#room-feedback")).to_have_text(f"Created cr-plans-{width}.")
        await expect(ann.locator("#room-heading")).to_contain_text(f"cr-plans-{width}")
        await expect(ann).to_have_title(f"cr-plans-{width} · {TITLE}")


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_notice_is_announced_and_goes_on_your_next_action_or_room(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with (
        person(offline_page_factory, dev_server, f"nt-ann-{width}", width) as ann,
        person(offline_page_factory, dev_server, f"nt-ben-{width}", width),
    ):
        feedback = ann.locator("#room-feedback")
        await create_room(ann, f"nt-first-{width}")
        await create_room(ann, f"nt-second-{width}")
        await expect(feedback).to_have_text(f"Created nt-second-{width}.")
        await join(ann, f"nt-lobby-{width}")
        await expect(feedback).to_have_text("")

        await ann.locator("#my-rooms a", has_text=f"nt-first-{width}").click()
        await ann.fill("#invite-username", f"nt-ben-{width}")
        await ann.click("#invite")
        await expect(feedback).to_have_text(f"Invited nt-ben-{width}.")
        await expect(ann.locator("#invite-username")).to_have_value("")
        await send(ann, "the next thing you do")
        await expect(feedback).to_have_text("")

        await ann.fill("#invite-username", f"nt-ben-{width}")
        await ann.click("#invite")
        await expect(feedback).to_have_text(f"Invited nt-ben-{width}.")
        await ann.locator("#my-rooms a", has_text=f"nt-second-{width}").click()
        await expect(ann.locator("#status")).to_have_text(f"Connected to nt-second-{width}")
        await expect(feedback).to_have_text("")

        await ann.fill("#direct-username", "nobody-by-that-name")
        await ann.click("#open-direct")
        await expect(feedback).to_have_text("No such user: nobody-by-that-name.")
        await open_direct(ann, f"nt-ben-{width}")
        await expect(feedback).to_have_text("")
        await expect(ann.locator("#direct-username")).to_have_value("")

        # Both kinds of notice are announced.
        await expect(feedback).to_have_attribute("role", "status")
        await expect(ann.locator("#notices")).to_have_attribute("role", "status")


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_in_a_direct_conversation_you_cannot_invite_and_are_told_why(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with (
        person(offline_page_factory, dev_server, f"iv-ann-{width}", width) as ann,
        person(offline_page_factory, dev_server, f"iv-ben-{width}", width) as ben,
    ):
        invite, note = ann.locator("#invite"), ann.locator("#invite-note")
        await create_room(ann, f"iv-plans-{width}", members=f"iv-ben-{width}")
        await expect(invite).to_be_enabled()
        await expect(note).to_be_hidden()

        await open_direct(ann, f"iv-ben-{width}")

        await expect(invite).to_be_disabled()
        await expect(ann.locator("#invite-username")).to_be_disabled()
        await expect(note).to_be_visible()
        await expect(note).to_contain_text("between two people only")

        # Nor in a room someone else owns: only its owner may invite.
        await ben.reload()
        await ben.locator("#my-rooms a", has_text=f"iv-plans-{width}").click()
        await expect(ben.locator("#invite")).to_be_disabled()
        await expect(ben.locator("#invite-note")).to_have_text(
            f"Only its owner, iv-ann-{width}, and its admins can invite people here."
        )


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_direct_conversation_goes_by_the_other_persons_name_for_both(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with (
        person(offline_page_factory, dev_server, f"dc-ann-{width}", width) as ann,
        person(offline_page_factory, dev_server, f"dc-ben-{width}", width) as ben,
    ):
        await join(ben, f"dc-lobby-{width}")
        await open_direct(ann, f"dc-ben-{width}")

        await expect(ann.locator("#status")).to_have_text(f"Connected to dc-ben-{width}")
        await expect(ann.locator("#direct-rooms a")).to_have_text([f"dc-ben-{width}"])
        await expect(ann.locator("#room-heading")).to_contain_text(f"dc-ben-{width}")
        await expect(ann).to_have_title(f"dc-ben-{width} · {TITLE}")
        await send(ann, "hello ben")

        # Ben was added by Ann: his list and a notice say so, by her name, without a reload.
        await expect(ben.locator("#direct-rooms a")).to_have_text([f"dc-ann-{width}"])
        await ben.locator("#notices a").click()
        await expect(ben.locator("#status")).to_have_text(f"Connected to dc-ann-{width}")
        await expect(ben.locator("#notices a")).to_have_count(0)
        await expect(ben.locator("#messages .text")).to_have_text(["hello ben"])
        await expect(ben).to_have_title(f"dc-ann-{width} · {TITLE}")

        await ben.reload()
        await expect(ben.locator("#status")).to_have_text(f"Connected to dc-ann-{width}")
        await expect(ben.locator("#direct-rooms a")).to_have_text([f"dc-ann-{width}"])
        await expect(ben).to_have_title(f"dc-ann-{width} · {TITLE}")
        for page in (ann, ben):
            await expect(page.locator("main")).not_to_contain_text(INTERNAL_DIRECT_NAME)
            assert "dm-" not in await page.locator("#room").input_value()


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_rooms_others_add_you_to_appear_at_once_or_when_you_reconnect(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with (
        person(offline_page_factory, dev_server, f"ad-ann-{width}", width) as ann,
        person(offline_page_factory, dev_server, f"ad-ben-{width}", width) as ben,
    ):
        network = FlakyNetwork()
        await ben.route_web_socket("**/ws/chat/**", network.route)
        await ben.reload()  # its one connection now goes through `network`
        await join(ben, f"ad-hall-{width}")
        await create_room(ann, f"ad-first-{width}", members=f"ad-ben-{width}")

        await expect(ben.locator("#my-rooms a")).to_have_text([f"ad-first-{width}"])

        await network.drop()
        await expect(ben.locator("#status")).to_have_attribute("data-state", "reconnecting")
        await create_room(ann, f"ad-second-{width}")
        await ann.fill("#invite-username", f"ad-ben-{width}")
        await ann.click("#invite")
        await expect(ann.locator("#room-feedback")).to_have_text(f"Invited ad-ben-{width}.")
        network.online = True

        await expect(ben.locator("#status")).to_have_text(
            f"Connected to ad-hall-{width}", timeout=20_000
        )
        await expect(ben.locator("#my-rooms a")).to_have_text(
            [f"ad-second-{width}", f"ad-first-{width}"]
        )


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_guest_still_chats_with_no_sidebar_forms(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    guest, other = await offline_page_factory(), await offline_page_factory()
    errors: list[str] = []
    for page in (guest, other):
        await page.set_viewport_size({"width": width, "height": 900})
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(f"{dev_server.http_url}/chat/")
    room = f"guests-{width}"

    await guest.fill("#name", "Gus")
    await join(guest, room)
    await other.fill("#name", "Olga")
    await join(other, room)
    await send(guest, "hello as a guest")

    await expect(other.locator("#messages .text")).to_have_text(["hello as a guest"])
    await expect(guest.locator("aside")).to_contain_text("Log in for private rooms")
    await expect(guest.locator("#my-rooms, #invite-form, #new-room-form")).to_have_count(0)
    await expect(guest.locator("#room-heading")).to_have_text(room)
    await expect(guest).to_have_title(f"{room} · {TITLE}")
    await guest.click("#leave")
    await expect(guest).to_have_title(TITLE)
    assert errors == []


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_logging_out_in_another_tab_says_so_where_you_chat(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with person(offline_page_factory, dev_server, f"lo-ann-{width}", width) as ann:
        await join(ann, f"lo-room-{width}")
        other_tab = await ann.context.new_page()
        await other_tab.goto(f"{dev_server.http_url}/chat/")
        await other_tab.click("text=Log out")

        await expect(ann.locator("#status")).to_have_text("Disconnected. You logged out.")
        await expect(ann.locator("#status")).to_have_attribute("data-state", "failed")


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_room_list_that_has_not_changed_keeps_the_links_you_are_clicking(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    async with person(offline_page_factory, dev_server, f"kl-ann-{width}", width) as ann:
        network = FlakyNetwork()
        await ann.route_web_socket("**/ws/chat/**", network.route)
        await ann.reload()
        await create_room(ann, f"kl-room-{width}")
        await expect(ann.locator("#status")).to_have_attribute("data-state", "open")
        link = await ann.locator("#my-rooms a").element_handle()

        # A reconnect brings the whole room list again (before the room it
        # shows is back), and the page draws it again.
        await network.drop()
        await expect(ann.locator("#status")).to_have_attribute("data-state", "reconnecting")
        network.online = True
        await expect(ann.locator("#status")).to_have_attribute("data-state", "open", timeout=20_000)
        assert network.received.count("room_list") == 2
        await expect(ann.locator("#my-rooms a")).to_have_text([f"kl-room-{width}"])

        assert await link.evaluate("link => link.isConnected")
