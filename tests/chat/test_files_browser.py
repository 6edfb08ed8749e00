"""
Files on /chat/ in a real browser: an upload shows its progress, the message
brings the picture to everyone in the room, and a refused file says why.
"""

from collections.abc import Awaitable, Callable
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image
from playwright.async_api import Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, join
from tests.chat.test_message_changes_browser import person
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


def photo(path: Path) -> Path:
    encoded = BytesIO()
    Image.new("RGB", (900, 600), "teal").save(encoded, "JPEG")
    path.write_bytes(encoded.getvalue())
    return path


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_picture_is_uploaded_with_progress_and_reaches_the_room_as_a_preview(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int, tmp_path: Path
) -> None:
    room = f"files-{width}"
    ann = await person(offline_page_factory, dev_server, f"fi-ann-{width}", width)
    ben = await person(offline_page_factory, dev_server, f"fi-ben-{width}", width)
    await join(ann, room)
    await join(ben, room)
    await ann.fill("#message-input", "the view from here")  # the room exists once posted to
    await ann.click("#send")
    await expect(ben.locator("#messages li.message")).to_have_count(1)

    await ann.set_input_files("#attach-input", photo(tmp_path / "view.jpg"))
    upload = ann.locator("#uploads li.upload")
    await expect(upload.locator(".upload-state")).to_have_text("Ready")
    await expect(upload.locator("progress")).to_have_attribute("value", "100")
    assert await ann.evaluate("document.documentElement.scrollWidth") <= width
    await ann.screenshot(path=str(tmp_path / f"files-composer-{width}.png"))
    await ann.click("#send")

    preview = ben.locator("#messages li.message").nth(1).locator(".files img")
    await expect(preview).to_have_attribute("alt", "view.jpg")
    loaded = await preview.evaluate("image => image.decode().then(() => image.naturalWidth)")
    assert loaded == 480  # the thumbnail, not the 900 px picture
    await expect(ann.locator("#uploads")).to_be_hidden()
    assert await ben.evaluate("document.documentElement.scrollWidth") <= width
    await ben.screenshot(path=str(tmp_path / f"files-{width}.png"))


async def test_a_refused_file_says_why_and_is_not_sent(
    dev_server: ServerProcess, offline_page_factory: NewPage, tmp_path: Path
) -> None:
    ann = await person(offline_page_factory, dev_server, "fi-refused", 1280)
    await join(ann, "files-refused")
    await ann.fill("#message-input", "hello")
    await ann.click("#send")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ")

    await ann.set_input_files("#attach-input", program)

    upload = ann.locator("#uploads li.upload")
    await expect(upload).to_have_class("upload failed")
    await expect(upload.locator(".upload-state")).to_contain_text("not accepted")
    await upload.get_by_role("button", name="Remove setup.exe").click()
    await expect(ann.locator("#uploads")).to_be_hidden()
