"""The delivery cursor and the resume decision, without any I/O."""

import pytest

from chat.delivery import DeliveryCursor, plan_resume


@pytest.mark.parametrize(
    ("last_seq", "first_kept", "newest", "plan"),
    [
        (5, 1, 8, "replay"),
        (8, 1, 8, "replay"),
        (0, 0, 0, "replay"),
        (9, 1, 8, "unknown_seq"),
        (1, 4, 8, "pruned"),
        (3, 4, 8, "replay"),
        (1, 1, 500, "too_far_behind"),
    ],
)
def test_plan_resume(last_seq: int, first_kept: int, newest: int, plan: str) -> None:
    assert plan_resume(last_seq, first_kept=first_kept, newest=newest, limit=100) == plan


def test_the_next_seq_is_sent_at_once_and_a_repeat_is_dropped() -> None:
    cursor = DeliveryCursor(last_seq=4)

    assert cursor.offer(5, "x", "five") == ["five"]
    assert cursor.offer(5, "x", "five") == []
    assert cursor.gap() is None


def test_a_broadcast_that_overtook_an_earlier_one_waits_for_it_then_follows_it() -> None:
    cursor = DeliveryCursor(last_seq=4)

    assert cursor.offer(6, "b", "six") == []
    assert cursor.offer(7, "c", "seven") == []
    assert cursor.gap() == (4, 7)
    assert cursor.offer(5, "a", "five") == ["five", "six", "seven"]
    assert cursor.gap() is None


def test_a_gap_that_stays_open_is_filled_from_the_database_in_order() -> None:
    cursor = DeliveryCursor(last_seq=4)
    cursor.offer(7, "c", "seven (live)")
    stored = [(5, "a", "five"), (6, "b", "six"), (7, "c", "seven")]

    assert cursor.fill(stored, upto=7) == ["five", "six", "seven"]
    assert cursor.gap() is None
    assert cursor.offer(6, "b", "six (late)") == []  # the lost one, found after all
    assert cursor.offer(8, "d", "eight") == ["eight"]


def test_held_broadcasts_beyond_the_filled_range_follow_the_fill() -> None:
    cursor = DeliveryCursor(last_seq=4)
    cursor.offer(6, "b", "six")
    cursor.offer(8, "d", "eight")  # arrived while the database was being read for (4, 6]

    assert cursor.fill([(5, "a", "five"), (6, "b", "six")], upto=6) == ["five", "six"]
    assert cursor.gap() == (6, 8)
    assert cursor.offer(7, "c", "seven") == ["seven", "eight"]


def test_seqs_the_database_no_longer_has_are_skipped_not_awaited() -> None:
    cursor = DeliveryCursor(last_seq=4)
    cursor.offer(7, "c", "seven")

    assert cursor.fill([(7, "c", "seven")], upto=7) == ["seven"]  # 5 and 6 were pruned
    assert cursor.gap() is None
    assert cursor.last_seq == 7


def test_own_messages_advance_the_cursor_without_being_sent_back() -> None:
    cursor = DeliveryCursor(last_seq=1, own_client_ids={"mine"})

    assert cursor.offer(2, "mine", "two") == []
    assert cursor.last_seq == 2
    assert cursor.offer(3, "mine", "three") == ["three"]  # a later resend by another tab is news
