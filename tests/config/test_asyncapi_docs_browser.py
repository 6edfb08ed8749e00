"""/asyncapi/docs/ in a browser that cannot reach the internet: a page of the site."""

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from playwright.async_api import ConsoleMessage, Page, Response, Route, expect

from tests.support.asyncapi import docs_page_offline
from tests.support.servers import ServerProcess

NewPage = Callable[[], Awaitable[Page]]
PAGE_WIDTHS = [1280, 390]  # a desktop and a phone


@dataclass
class DocsPage:
    """The docs page, rendered, with what went wrong while loading it."""

    page: Page
    failed_requests: list[str]
    errors: list[str]
    icon: asyncio.Future[Response]
    """The answer to the browser's request for the page's icon, which it makes after load."""


async def open_docs(server: ServerProcess, new_page: NewPage, width: int) -> DocsPage:
    """The docs page at `width`, once the viewer has rendered the document and the page is idle."""
    errors: list[str] = []
    icon: asyncio.Future[Response] = asyncio.get_running_loop().create_future()

    def on_response(response: Response) -> None:
        if "favicon" in response.url and not icon.done():
            icon.set_result(response)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    async def sized_page() -> Page:
        page = await new_page()
        await page.set_viewport_size({"width": width, "height": 900})
        page.on("console", on_console)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("response", on_response)
        return page

    page, failed = await docs_page_offline(server, sized_page)
    title = page.locator("#asyncapi").get_by_text("Relay real-time API 1.0.0")
    await expect(title.filter(visible=True).first).to_be_visible()
    await page.wait_for_load_state("networkidle")
    return DocsPage(page, failed, errors, icon)


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_the_docs_page_renders_the_document_and_its_icon_offline_without_errors(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    docs = await open_docs(dev_server, offline_page_factory, width)
    icon = await asyncio.wait_for(docs.icon, timeout=30)

    assert (icon.status, icon.headers["content-type"]) == (200, "image/svg+xml")
    assert docs.failed_requests == []
    assert docs.errors == []


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_the_docs_page_has_the_site_header_that_leads_back_to_the_app(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    page = (await open_docs(dev_server, offline_page_factory, width)).page

    header = page.locator("header.site-header")
    await expect(header).to_be_visible()
    for name in ("Chat", "Assistants", "System", "API docs", "Log in"):
        await expect(header.get_by_role("link", name=name, exact=True)).to_be_in_viewport()
    await header.get_by_role("link", name="Relay", exact=True).click()
    await expect(page).to_have_url(f"{dev_server.http_url}/")


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_the_docs_page_does_not_widen_past_the_window_even_fully_expanded(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    page = (await open_docs(dev_server, offline_page_factory, width)).page
    assert await page.evaluate("document.documentElement.scrollWidth") <= width

    # Each pass clicks every "Expand all", then waits for the frame that draws
    # what they opened, which may hold more to expand. The buttons are found by
    # their text in the page: a query by role computes every element's
    # accessible name, and the expanded page has over 100,000 elements.
    left = await page.evaluate(
        """async () => {
            const expanders = () => [...document.querySelectorAll("#asyncapi button")]
                .filter(button => button.textContent.trim() === "Expand all");
            const frame = () => new Promise(drawn => requestAnimationFrame(drawn));
            for (let pass = 0; pass < 50 && expanders().length; pass++) {
                expanders().forEach(button => button.click());
                await frame();
                await frame();
            }
            return expanders().length;
        }"""
    )
    assert left == 0

    assert await page.evaluate("document.documentElement.scrollWidth") <= width


TEXT_FONTS = """() => {
  const fonts = {};
  for (const element of document.body.querySelectorAll("*")) {
    const hasText = [...element.childNodes].some(
      (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    if (hasText && element.getClientRects().length) {
      const font = getComputedStyle(element).fontFamily;
      (fonts[font] ??= []).push(element.tagName + ": " + element.textContent.slice(0, 40));
    }
  }
  return fonts;
}"""


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_all_text_on_the_docs_page_is_in_the_sites_font_and_only_code_is_monospace(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    page = (await open_docs(dev_server, offline_page_factory, width)).page
    fonts: dict[str, list[str]] = await page.evaluate(TEXT_FONTS)
    await page.goto(f"{dev_server.http_url}/")
    site_font = await page.evaluate("getComputedStyle(document.body).fontFamily")

    assert "sans-serif" in site_font
    other_fonts = {
        font: texts
        for font, texts in fonts.items()
        if font != site_font and not font.endswith("monospace")
    }
    assert other_fonts == {}
    assert site_font in fonts


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_backticks_in_a_description_become_inline_code_without_the_backticks(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    page = (await open_docs(dev_server, offline_page_factory, width)).page
    # The document's description: "... a JSON object whose `action` names its type."
    description = (
        page.locator("#asyncapi p").filter(has_text="names its type").filter(visible=True).first
    )

    code = description.locator("code").filter(has_text=re.compile("^action$"))
    await expect(code).to_be_visible()
    await expect(description).not_to_contain_text("`")
    decorations = await code.evaluate(
        "code => [getComputedStyle(code, '::before').content,"
        " getComputedStyle(code, '::after').content]"
    )
    assert decorations == ["none", "none"]


async def test_when_the_viewer_cannot_load_the_page_says_so_and_links_the_document(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    page = await offline_page_factory()

    async def viewer_unavailable(route: Route) -> None:
        await route.abort("internetdisconnected")

    await page.route("**/vendor/asyncapi/index.js", viewer_unavailable)
    await page.goto(f"{dev_server.http_url}/asyncapi/docs/")

    alert = page.locator("#asyncapi").get_by_role("alert")
    await expect(alert).to_contain_text("The API viewer could not load")
    await expect(alert.get_by_role("link")).to_have_attribute("href", "/asyncapi/schema/")


def test_asyncapi_leads_to_the_docs_page_and_its_other_urls_still_answer(client: Client) -> None:
    response = client.get("/asyncapi/")

    assert response.status_code == 302
    assert response["Location"] == "/asyncapi/docs/"
    assert client.get("/asyncapi/schema/").status_code == 200
    assert client.get("/asyncapi/docs/").status_code == 200


def test_when_the_document_cannot_be_generated_the_error_shows_in_a_site_page(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise ValueError("no routes")

    monkeypatch.setattr("chanx.channels.views.generate_asyncapi_schema", broken)

    response = client.get("/asyncapi/docs/")

    assert response.status_code == 500
    page = response.content.decode()
    assert '<header class="site-header">' in page
    assert re.search(r'<p role="alert">[^<]*no routes</p>', page)
