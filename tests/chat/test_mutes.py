"""An event loop's list of the mutes in force: read at most every CHAT_MUTE_CHECK seconds."""

from datetime import timedelta
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.utils import timezone

from chat import selectors
from chat.models import Mute, Room
from chat.mutes import MuteList

pytestmark = pytest.mark.django_db(transaction=True)


def mute(user: User, minutes: float) -> None:
    room, _ = Room.objects.get_or_create(name="lobby")
    until = timezone.now() + timedelta(minutes=minutes)
    Mute.objects.update_or_create(room=room, user=user, defaults={"until": until})


async def test_a_mute_in_the_database_is_known_once_the_list_is_read(
    ann: User, settings: Any
) -> None:
    settings.CHAT_MUTE_CHECK = 0
    await database_sync_to_async(mute)(ann, 5)

    assert await MuteList().until("lobby", ann.pk) is not None
    assert await MuteList().until("elsewhere", ann.pk) is None


async def test_the_list_is_read_at_most_once_per_interval(
    ann: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.CHAT_MUTE_CHECK = 3600
    mutes = MuteList()
    reads = []
    read = selectors.mutes_in_force

    def counted() -> dict[str, dict[int, Any]]:
        reads.append(1)
        return read()

    monkeypatch.setattr(selectors, "mutes_in_force", counted)
    await mutes.until("lobby", ann.pk)

    await database_sync_to_async(mute)(ann, 5)
    known = await mutes.until("lobby", ann.pk)

    assert (known, len(reads)) == (None, 1)  # stale until the next read, or news of it


async def test_news_of_a_mute_counts_at_once_and_of_its_end_too(ann: User, settings: Any) -> None:
    settings.CHAT_MUTE_CHECK = 3600
    mutes = MuteList()
    await mutes.until("lobby", ann.pk)  # read: no mutes
    until = timezone.now() + timedelta(minutes=5)

    mutes.heard("lobby", ann.pk, until)
    assert await mutes.until("lobby", ann.pk) == until

    mutes.heard("lobby", ann.pk, None)
    assert await mutes.until("lobby", ann.pk) is None


async def test_a_mute_past_its_time_is_over_without_news(ann: User, settings: Any) -> None:
    settings.CHAT_MUTE_CHECK = 3600
    mutes = MuteList()

    mutes.heard("lobby", ann.pk, timezone.now() - timedelta(seconds=1))

    assert await mutes.until("lobby", ann.pk) is None


async def test_news_heard_while_the_list_is_read_outlives_that_read(
    ann: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The read may have started before the mute committed: what it read is older than the news."""
    settings.CHAT_MUTE_CHECK = 0
    mutes = MuteList()
    until = timezone.now() + timedelta(minutes=5)

    read = selectors.mutes_in_force

    def read_then_hear() -> dict[str, dict[int, Any]]:
        found = read()  # empty: the mute is not committed yet
        mutes.heard("lobby", ann.pk, until)  # its news comes before the read is back
        return found

    monkeypatch.setattr(selectors, "mutes_in_force", read_then_hear)

    assert await mutes.until("lobby", ann.pk) == until
