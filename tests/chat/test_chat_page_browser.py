"""The /chat/ page in a real browser, against a real server process."""

from collections.abc import Awaitable, Callable

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
