"""
How /chat/ shows a room, in a real browser: messages grouped by author under
day separators, with initials avatars and relative times; a small Markdown
subset formatted and everything else shown as typed; history that loads as
you scroll up, and new messages that wait below while you read.
"""

import re
import secrets

import pytest
from playwright.async_api import Page, expect

from tests.chat.test_chat_sidebar_browser import PAGE_WIDTHS, NewPage, join, person
from tests.chat.test_message_changes_browser import choose
from tests.chat.test_private_rooms_browser import send
from tests.support.servers import ServerProcess, manage

# Yesterday: Li Wei twice within a minute, again half an hour later, then Ann;
# today: Ann, a minute ago.
SEED_DAYS = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from chat import services
from chat.models import Message
from chat.participants import participant_for
now = timezone.now()
yesterday = now.replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=1)
plan = [("{li}", 0, "first"), ("{li}", 1, "second"), ("{li}", 30, "third"), ("{ann}", 31, "fourth")]
plan = [(name, yesterday + timedelta(minutes=m), body) for name, m, body in plan]
plan.append(("{ann}", now - timedelta(minutes=1), "fifth"))
for name, when, body in plan:
    user, _ = User.objects.get_or_create(username=name)
    author = participant_for(user, guest_id=None, guest_name=None, connection="seed")
    posted = services.post_message(room_name="{room}", author=author, user=user, body=body,
                                   client_id=body)
    Message.objects.filter(room__name="{room}", seq=posted.message.seq).update(created_at=when)
"""
SEED_MANY = """
from django.contrib.auth.models import User
from chat import services
from chat.participants import participant_for
user = User.objects.create_user("{author}")
author = participant_for(user, guest_id=None, guest_name=None, connection="seed")
for number in range(1, {count} + 1):
    services.post_message(room_name="{room}", author=author, user=user, body=f"number {{number}}",
                          client_id=str(number))
"""


# The list as words: a separator by its label, a message by its text, and
# whether it goes on under its author's previous message.
AS_WORDS = """items => items.map((item) => {
  if (item.classList.contains("day-separator")) return item.textContent;
  const text = item.querySelector(".text").textContent;
  return item.classList.contains("continued") ? `${text} (continued)` : text;
})"""


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


async def test_a_room_reads_as_days_of_conversation_grouped_by_author(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    room, ann = unique("days"), unique("ann")
    li = f"li.wei{secrets.token_hex(3)}"  # initials LW
    manage(dev_server.env, "shell", "-c", SEED_DAYS.format(room=room, li=li, ann=ann))
    async with person(offline_page_factory, dev_server, unique("reader"), 1280) as page:
        await join(page, room)

        timeline = page.locator("#messages > li:not(.system)")
        await expect(timeline).to_have_count(7)
        kinds = await timeline.evaluate_all(AS_WORDS)
        assert kinds == [
            "Yesterday",
            "first",
            "second (continued)",  # a minute later
            "third",  # half an hour later: a new header
            "fourth",  # someone else
            "Today",
            "fifth",  # the same author as before, but another day
        ]
        first = page.locator("#messages li.message", has_text="first")
        await expect(first.locator(".avatar")).to_have_text("LW")
        await expect(first.locator(".author")).to_be_visible()
        second = page.locator("#messages li.message", has_text="second")
        await expect(second.locator(".author")).to_have_text(li)  # still read out
        await expect(second.locator(".avatar")).to_be_hidden()
        newest = page.locator("#messages li.message", has_text="fifth").locator("time")
        await expect(newest).to_have_text(re.compile(r"^1 min\.? ago$"))
        await expect(newest).to_have_attribute("title", re.compile(r"\d{4}"))  # the full date


@pytest.mark.parametrize("width", PAGE_WIDTHS)
async def test_a_small_markdown_subset_is_formatted_and_everything_else_shown_as_typed(
    dev_server: ServerProcess, offline_page_factory: NewPage, width: int
) -> None:
    me = unique("md")
    typed = (
        "**bold**, *italics* and `code`, see https://example.com/notes\n"
        f"ask @{me} or @someone-else, not me@example.com nor `@code`\n"
        "[harmless](javascript:document.title='pwned') ![pixel](https://example.com/p.png) "
        "<img src=x onerror=\"document.title='pwned'\">\n"
        "# not a heading\n"
        "```\nfirst line\n  second line\n```"
    )
    async with person(offline_page_factory, dev_server, me, width) as page:
        await join(page, unique("markdown"))
        await send(page, typed)
        text = page.locator("#messages li.message:not(.pending) .text")

        await expect(text.locator("strong")).to_have_text("bold")
        await expect(text.locator("em")).to_have_text("italics")
        await expect(text.locator("p code")).to_have_text(["code", "@code"])
        await expect(text.locator("pre code")).to_have_text("first line\n  second line\n")
        link = text.locator("a", has_text="https://example.com/notes")
        await expect(link).to_have_attribute("href", "https://example.com/notes")
        await expect(link).to_have_attribute("target", "_blank")
        await expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
        await expect(text.locator("a", has_text="pixel")).to_have_attribute(
            "href", "https://example.com/p.png"
        )  # an image is a link: nothing loads from elsewhere
        await expect(text.locator("img")).to_have_count(0)
        await expect(text.locator("a", has_text="harmless")).to_have_count(0)
        await expect(text).to_contain_text("<img src=x onerror=")
        await expect(text).to_contain_text("# not a heading")
        await expect(text.locator("h1")).to_have_count(0)
        await expect(text.locator(".mention")).to_have_text([f"@{me}", "@someone-else"])
        await expect(text.locator(".mention.me")).to_have_text(f"@{me}")
        assert await page.title() != "pwned"

        await choose(page.locator("#messages li.message").last, "edit")
        await expect(page.locator(".edit-input")).to_have_value(typed)  # as typed, to edit


async def test_scrolling_up_loads_older_history_and_new_messages_wait_below(
    dev_server: ServerProcess, offline_page_factory: NewPage
) -> None:
    room, author = unique("long"), unique("teller")
    manage(dev_server.env, "shell", "-c", SEED_MANY.format(room=room, author=author, count=120))
    async with (
        person(offline_page_factory, dev_server, unique("reader"), 1280) as reader,
        person(offline_page_factory, dev_server, unique("writer"), 1280) as writer,
    ):
        await join(reader, room)
        await join(writer, room)
        messages = reader.locator("#messages li.message:not(.system)")
        await expect(messages.last.locator(".text")).to_have_text("number 120")
        await expect(messages).to_have_count(50)
        await expect(reader.locator("#to-newest")).to_be_hidden()

        await scroll_to_top(reader)
        await expect(messages).to_have_count(100)
        # The messages read before stay in view: the list grew above them.
        assert await reader.locator("#messages").evaluate("list => list.scrollTop") > 0
        await scroll_to_top(reader)
        await expect(messages).to_have_count(120)
        await expect(messages.first.locator(".text")).to_have_text("number 1")
        await expect(reader.locator("#load-older")).to_be_hidden()

        await send(writer, "while you were reading")
        latest = reader.locator("#to-newest")
        await expect(latest).to_have_text("↓ 1 new message")
        assert await below(reader) > 1000  # still where they were reading
        await latest.click()
        await expect(messages.last).to_be_in_viewport()
        await expect(latest).to_be_hidden()

        await send(writer, "seen as it arrives")
        await expect(messages.last.locator(".text")).to_have_text("seen as it arrives")
        await expect(messages.last).to_be_in_viewport()
        await expect(latest).to_be_hidden()


async def below(page: Page) -> int:
    """How many pixels of the list lie below what is shown."""
    return int(
        await page.locator("#messages").evaluate(
            "list => list.scrollHeight - list.scrollTop - list.clientHeight"
        )
    )


async def scroll_to_top(page: Page) -> None:
    await page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
