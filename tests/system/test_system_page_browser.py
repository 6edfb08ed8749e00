"""The /system/ page in a real browser, against a real server process and Celery worker."""

from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Page, expect

from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]


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
