"""Gaps in a room's broadcasts are read from the database once per process, however many wait."""

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser

from chat import gaps, selectors, services
from chat.participants import Participant

pytestmark = pytest.mark.django_db(transaction=True)

GUEST = Participant(key="guest:g", name="Gus", guest=True)


@pytest.fixture
async def room() -> str:
    """A room of five stored messages."""
    for n in range(5):
        await database_sync_to_async(services.post_message)(
            room_name="gappy", author=GUEST, user=AnonymousUser(), body=f"m{n}", client_id=f"c{n}"
        )
    return "gappy"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The (after, upto) of every read that reaches the database."""
    seen: list[tuple[int, int]] = []
    original: Callable[..., Any] = selectors.messages_after

    def counted(room_name: str, seq: int, *, upto: int | None = None) -> Any:
        seen.append((seq, upto or 0))
        return original(room_name, seq, upto=upto)

    monkeypatch.setattr(selectors, "messages_after", counted)
    return seen


def seqs(found: gaps.Found) -> list[int]:
    return [seq for seq, _client_id, _frame in found]


async def test_every_connection_waiting_for_the_same_messages_shares_one_read(
    room: str, reads: list[tuple[int, int]]
) -> None:
    found = await asyncio.gather(*(gaps.missing(room, 1, 4) for _ in range(20)))

    assert [seqs(f) for f in found] == [[2, 3, 4]] * 20
    assert reads == [(1, 4)]


async def test_a_gap_within_a_recent_read_is_answered_from_it(
    room: str, reads: list[tuple[int, int]]
) -> None:
    await gaps.missing(room, 1, 5)

    assert seqs(await gaps.missing(room, 2, 4)) == [3, 4]
    assert reads == [(1, 5)]


async def test_a_gap_beyond_the_recent_reads_is_read(
    room: str, reads: list[tuple[int, int]]
) -> None:
    await gaps.missing(room, 1, 3)

    assert seqs(await gaps.missing(room, 2, 5)) == [3, 4, 5]
    assert reads == [(1, 3), (2, 5)]


async def test_a_connection_that_leaves_does_not_cancel_the_read_for_the_others(
    room: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    reading, go_on = threading.Event(), threading.Event()
    original = selectors.messages_after

    def held(*args: Any, **kwargs: Any) -> Any:
        reading.set()
        go_on.wait(5)
        return original(*args, **kwargs)

    monkeypatch.setattr(selectors, "messages_after", held)
    leaving = asyncio.create_task(gaps.missing(room, 0, 2))
    staying = asyncio.create_task(gaps.missing(room, 0, 2))
    await asyncio.to_thread(reading.wait, 5)  # both wait on the read by now

    leaving.cancel()
    go_on.set()

    assert seqs(await staying) == [1, 2]
    assert leaving.cancelled()


async def test_a_failed_read_is_tried_again_by_the_next_connection(
    room: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = selectors.messages_after

    def unreachable(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(selectors, "messages_after", original)
        raise ConnectionError("database restarting")

    monkeypatch.setattr(selectors, "messages_after", unreachable)
    with pytest.raises(ConnectionError):
        await gaps.missing(room, 3, 5)

    assert seqs(await gaps.missing(room, 3, 5)) == [4, 5]


async def test_the_newest_seq_is_read_once_for_every_connection_that_asks_meanwhile(
    room: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    original = selectors.newest_seq

    def counted(room_name: str) -> int:
        asked.append(room_name)
        return original(room_name)

    monkeypatch.setattr(selectors, "newest_seq", counted)

    assert await asyncio.gather(*(gaps.newest(room) for _ in range(10))) == [5] * 10
    assert await gaps.newest("never-used") == 0
    assert asked == [room, "never-used"]
