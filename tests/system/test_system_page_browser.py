"""The /system/ page in a real browser, against a real server process and Celery worker."""

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]

PAGE_WIDTHS = [1280, 390]  # a desktop and a phone


async def system_page(new_page: NewPage, server: ServerProcess, width: int) -> Page:
    page = await new_page()
    await page.set_viewport_size({"width": width, "height": 900})
    await page.goto(f"{server.http_url}/system/")
    await expect(page.locator("#status")).to_have_text("Connected")
    return page


async def start_job(page: Page, task_type: str, content: str) -> None:
    await page.select_option("#task-type", task_type)
    await page.fill("#job-content", content)
    await page.click("#start-job")


async def test_when_a_job_runs_then_its_progress_bar_reaches_100_and_the_export_downloads(
    dev_server: ServerProcess, dev_worker: Any, offline_page_factory: NewPage
) -> None:
    chat = await offline_page_factory()
    await chat.goto(f"{dev_server.http_url}/chat/")
    await chat.fill("#name", "Ada")
    await chat.fill("#room", "export-me")
    await chat.click("#join")
    await expect(chat.locator("#status")).to_have_attribute("data-state", "open")
    for text in ("first words", "second words"):
        await chat.fill("#message-input", text)
        await chat.click("#send")
    await expect(chat.locator("#messages .message:not(.pending)")).to_have_count(2)

    page = await offline_page_factory()
    await page.goto(f"{dev_server.http_url}/system/")
    await expect(page.locator("#status")).to_have_text("Connected")
    await page.fill("#job-content", "the quick brown fox jumps over the lazy dog the end")
    await page.click("#start-job")
    job = page.locator(".job").first
    progress_seen = []
    await expect(job).to_have_attribute("data-status", "running")
    progress_seen.append(int(await job.locator("progress").get_attribute("value") or 0))
    await expect(job).to_have_attribute("data-status", "succeeded")
    await expect(job.locator("progress")).to_have_attribute("value", "100")
    await expect(job.locator(".result")).to_contain_text("the (3)")
    assert progress_seen[0] < 100

    await page.select_option("#task-type", "export_transcript")
    await page.fill("#job-content", "export-me")
    await page.click("#start-job")
    export = page.locator('.job[data-status="succeeded"]').filter(has_text="Transcript export")
    await expect(export.locator("a.download-markdown")).to_be_visible()
    async with page.expect_download() as download_info:
        await export.locator("a.download-markdown").click()
    download = await download_info.value
    path = await download.path()
    transcript = path.read_text()
    assert download.suggested_filename == "export-me-transcript.md"
    assert "**Ada** (guest)" in transcript
    assert transcript.index("first words") < transcript.index("second words")


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_when_a_job_fails_then_its_own_card_says_so_and_why_in_every_tab_and_after_a_reload(
    dev_server: ServerProcess, dev_worker: Any, offline_page_factory: NewPage, width: int
) -> None:
    page = await system_page(offline_page_factory, dev_server, width)
    failures = {
        "no such room": "'no such room' is not a room name.",  # refused before it runs
        f"nowhere-{width}": f"No room named 'nowhere-{width}'.",  # fails as it runs
    }

    for room in failures:
        await start_job(page, "export_transcript", room)
    other_tab = await page.context.new_page()
    await other_tab.set_viewport_size({"width": width, "height": 900})
    await other_tab.goto(f"{dev_server.http_url}/system/")
    await page.reload()

    for tab in (page, other_tab):
        for reason in failures.values():
            card = tab.locator(".job").filter(has_text=reason)
            await expect(card).to_have_count(1)
            await expect(card).to_have_attribute("data-status", "failed")
            await expect(card.locator(".state")).to_have_text("failed")
            await expect(card.locator(".kind")).to_have_text("Transcript export")
        await expect(tab.locator("#notifications")).to_have_text("None yet.")
        await expect(tab.locator("#request-error")).to_be_hidden()


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_when_an_echo_or_a_job_shows_one_long_word_then_the_page_does_not_widen(
    dev_server: ServerProcess, dev_worker: Any, offline_page_factory: NewPage, width: int
) -> None:
    page = await system_page(offline_page_factory, dev_server, width)
    long_word = "x" * 3000
    long_json = f'{{"long": "{long_word}", "list": [{",".join(["1"] * 200)}]}}'
    longest_room_name = "y" * 64

    async def fits() -> None:
        assert await page.evaluate("document.documentElement.scrollWidth") <= width
        for button in ("#start-job", "#echo-send"):
            box = await page.locator(button).bounding_box()
            assert box is not None
            assert box["x"] + box["width"] <= width
            lines = await page.locator(button).evaluate(
                "b => { const r = document.createRange(); r.selectNodeContents(b);"
                " return r.getClientRects().length; }"
            )
            assert lines == 1, f"{button}'s label wraps"

    for sent, shown in ((long_word, f"System: {long_word}"), (long_json, '"json_echo"')):
        await page.fill("#echo-input", sent)
        await page.click("#echo-send")
        await expect(page.locator("#echo-output")).to_contain_text(shown)
        await fits()
    await start_job(page, "analyze", f"{long_word} {long_word}")
    await expect(page.locator(".job.succeeded .result")).to_contain_text(f"{long_word} (2)")
    await fits()
    await start_job(page, "export_transcript", longest_room_name)
    await expect(page.locator(".job.failed .step")).to_contain_text(longest_room_name)
    await fits()


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_when_a_request_is_about_no_job_then_its_error_shows_under_the_status_only(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    page = await system_page(offline_page_factory, dev_server, width)
    # As a page of an older version would send it: a task type the server does not know.
    await page.evaluate(
        """() => {
          const send = WebSocket.prototype.send;
          WebSocket.prototype.send = function (data) {
            const unknown = data.replace('"task_type":"analyze"', '"task_type":"translate"');
            return send.call(this, unknown);
          };
        }"""
    )

    await start_job(page, "analyze", "some words")

    await expect(page.locator("#request-error")).to_be_visible()
    await expect(page.locator("#request-error")).to_contain_text("'analyze' or 'export_transcript'")
    await expect(page.locator("#notifications")).to_have_text("None yet.")
    await expect(page.locator(".job")).to_have_count(0)
