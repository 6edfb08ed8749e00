"""Accounts and private rooms in a real browser, against a real server process."""

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]
PASSWORD = "correct-horse-battery-9"


async def sign_up(page: Page, server: ServerProcess, username: str) -> None:
    await page.goto(f"{server.http_url}/accounts/signup/")
    await page.fill("#id_username", username)
    await page.fill("#id_password1", PASSWORD)
    await page.fill("#id_password2", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("#signed-in-as")).to_have_text(username)


async def send(page: Page, text: str) -> None:
    await page.fill("#message-input", text)
    await page.click("#send")


async def test_when_invited_to_a_private_room_then_both_chat_and_history_survives_a_reload(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    ann, ben, guest = (
        await offline_page_factory(),
        await offline_page_factory(),
        await offline_page_factory(),
    )
    await sign_up(ann, dev_server, "ann")
    await sign_up(ben, dev_server, "ben")

    await ann.fill("#new-room-name", "ann-and-ben")
    await ann.click("#create-room")
    await expect(ann.locator("#status")).to_have_text("Connected to ann-and-ben")
    await ann.fill("#invite-username", "ben")
    await ann.click("#invite")
    await expect(ann.locator("#room-feedback")).to_have_text("Invited ben.")

    await ben.reload()
    await ben.locator("#my-rooms a", has_text="ann-and-ben").click()
    await expect(ben.locator("#status")).to_have_text("Connected to ann-and-ben")
    await send(ann, "hello ben")
    await expect(ben.locator("#messages .text")).to_have_text(["hello ben"])
    await send(ben, "hi ann")
    await expect(ann.locator("#messages .text")).to_have_text(["hello ben", "hi ann"])
    await expect(ann.locator("#presence li")).to_have_count(2)

    await ben.reload()
    await expect(ben.locator("#status")).to_have_text("Connected to ann-and-ben")
    await expect(ben.locator("#messages .text")).to_have_text(["hello ben", "hi ann"])

    await guest.goto(f"{dev_server.http_url}/chat/?room=ann-and-ben")
    await guest.fill("#name", "Nosy")
    await guest.click("#join")
    await expect(guest.locator("#messages .error")).to_contain_text("private")
    await expect(guest.locator("#status")).to_have_attribute("data-state", "failed")
    await expect(guest.locator("#messages .text")).to_have_count(0)
