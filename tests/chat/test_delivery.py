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


def test_the_next_seq_is_delivered_and_a_repeat_is_stale() -> None:
    cursor = DeliveryCursor(last_seq=4)

    assert cursor.missing_before(5) is None
    assert cursor.advance(5, "x") is True
    assert cursor.is_stale(5)


def test_a_jump_asks_for_the_missing_range() -> None:
    assert DeliveryCursor(last_seq=4).missing_before(8) == (4, 7)


def test_own_messages_advance_the_cursor_without_being_sent_back() -> None:
    cursor = DeliveryCursor(last_seq=1, own_client_ids={"mine"})

    assert cursor.advance(2, "mine") is False
    assert cursor.last_seq == 2
    assert cursor.advance(3, "mine") is True  # a later resend by another tab is news
