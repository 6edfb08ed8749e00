"""The /chat/ page in a real browser, against a real server process."""

from collections.abc import Awaitable, Callable

import pytest
from playwright.async_api import Page, expect

from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


async def join(page: Page, server: ServerProcess, name: str, room: str) -> None:
    await page.goto(f"{server.http_url}/chat/")
    await page.fill("#name", name)
    await page.fill("#room", room)
    await page.click("#join")
    await expect(page.locator("#status")).to_have_text(f"Connected to {room}")


async def send(page: Page, text: str) -> None:
    await page.fill("#message-input", text)
    await page.click("#send")


async def test_when_a_message_is_posted_then_everyone_in_the_room_sees_it(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    alice, bob = await offline_page_factory(), await offline_page_factory()
    await join(alice, dev_server, "Alice", "browser-room")
    await join(bob, dev_server, "Bob", "browser-room")

    await send(alice, "Hello from Alice")

    seen_by_bob = bob.locator("#messages .message").filter(has_text="Hello from Alice")
    await expect(seen_by_bob).to_have_count(1)
    await expect(seen_by_bob.locator(".author")).to_have_text("Alice")
    await expect(alice.locator("#messages .message.own .text")).to_have_text("Hello from Alice")


async def test_when_a_message_contains_html_then_it_is_shown_as_text(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    alice, bob = await offline_page_factory(), await offline_page_factory()
    await join(alice, dev_server, "Alice", "browser-html")
    await join(bob, dev_server, "Bob", "browser-html")

    await send(alice, '<img src=x onerror="document.title=1"><b>bold</b>')

    message = bob.locator("#messages .message .text")
    await expect(message).to_have_text('<img src=x onerror="document.title=1"><b>bold</b>')
    assert await bob.locator("#messages img, #messages b").count() == 0


async def test_when_rooms_differ_then_messages_stay_in_their_room(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    alice, bob, carol = (
        await offline_page_factory(),
        await offline_page_factory(),
        await offline_page_factory(),
    )
    await join(alice, dev_server, "Alice", "browser-a")
    await join(bob, dev_server, "Bob", "browser-a")
    await join(carol, dev_server, "Carol", "browser-b")

    await send(alice, "only for room a")
    await expect(bob.locator("#messages .message")).to_have_count(1)
    await send(carol, "room b speaking")
    await send(alice, "still only for room a")

    await expect(bob.locator("#messages .message .text")).to_have_text(
        ["only for room a", "still only for room a"]
    )
    await expect(carol.locator("#messages .message .text")).to_have_text(["room b speaking"])


PAGE_WIDTHS = [1280, 390]  # a desktop and a phone


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_when_a_message_is_one_long_word_then_the_page_does_not_widen(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    sender, reader = await offline_page_factory(), await offline_page_factory()
    for page in (sender, reader):
        await page.set_viewport_size({"width": width, "height": 900})
    room = f"long-word-{width}"
    await join(sender, dev_server, "Alice", room)
    await send(sender, "x" * 1500)
    await expect(sender.locator("#messages .message.own:not(.pending)")).to_have_count(1)

    await join(reader, dev_server, "Bob", room)  # the stored message, from history
    await expect(reader.locator("#messages .text")).to_have_text(["x" * 1500])

    for page in (sender, reader):
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        send_button = await page.locator("#send").bounding_box()
        assert send_button is not None
        assert send_button["x"] + send_button["width"] <= width


async def test_when_someone_who_is_typing_sends_then_their_typing_notice_goes_at_once(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    alice, bob = await offline_page_factory(), await offline_page_factory()
    await join(alice, dev_server, "Alice", "typing-ends")
    await join(bob, dev_server, "Bob", "typing-ends")

    await alice.locator("#message-input").press_sequentially("hello")
    await expect(bob.locator("#typing")).to_have_text("Alice is typing…")
    await alice.click("#send")

    await expect(bob.locator("#messages .text")).to_have_text(["hello"])
    # The notice would otherwise stay for its 3 s.
    await expect(bob.locator("#typing")).to_have_text("", timeout=1_000)


async def test_when_a_room_refuses_you_then_the_page_says_what_to_do_not_the_close_code(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    page = await offline_page_factory()
    await page.goto(f"{dev_server.http_url}/chat/")
    await page.fill("#name", "Mallory")
    await page.fill("#room", "dm-1-2")
    await page.click("#join")

    status = page.locator("#status")
    await expect(status).to_have_attribute("data-state", "failed")
    # The server's own reason, sent just before it closed the socket with 4401.
    await expect(status).to_have_text(
        "Disconnected. This direct conversation does not exist: start it from the user's name."
    )
