"""Conversation writes: how a new conversation is titled."""

import pytest

from assistants import services
from assistants.services import TITLE_LENGTH, conversation_title
from core.owners import Owner

LONG_QUESTION = (
    "How do I authenticate a WebSocket connection from a script that has no browser cookies, "
    "and where does it find its token?"
)


def test_a_short_question_is_its_own_title() -> None:
    assert conversation_title("How do I broadcast to a group?") == "How do I broadcast to a group?"


def assert_cut_between_words(title: str, question: str) -> None:
    assert len(title) <= TITLE_LENGTH
    assert title.endswith("…")
    kept = title.removesuffix("…")
    assert question.startswith(kept)
    assert question[len(kept)] in " ,", "the cut falls between words"


def test_a_long_question_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    assert_cut_between_words(conversation_title(LONG_QUESTION), LONG_QUESTION)


def test_a_question_that_is_one_overlong_word_is_cut_inside_it() -> None:
    title = conversation_title("x" * 500)

    assert title == "x" * (TITLE_LENGTH - 1) + "…"


def test_a_title_is_one_line() -> None:
    title = conversation_title("How do I\n\nbroadcast\tto a group?")

    assert title == "How do I broadcast to a group?"


@pytest.mark.django_db
def test_a_new_conversation_is_titled_by_its_question_cut_at_a_word() -> None:
    started = services.start_answer(
        owner=Owner(user_id=None, guest_id="a-guest"), conversation_id=None, question=LONG_QUESTION
    )

    assert_cut_between_words(started.conversation.title, LONG_QUESTION)
    assert started.question.content == LONG_QUESTION
