"""Reactions: each change an entry of the room's stream, history showing them as they stand."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser, User
from pydantic import ValidationError

from chat import selectors, services
from chat.messages import REACTIONS_PER_MESSAGE_MAX, ReactRequest
from chat.models import Message
from chat.participants import participant_for

pytestmark = pytest.mark.django_db

CLIENT_IDS = itertools.count()


def post(room: str, by: User, body: str = "hi") -> int:
    return services.post_message(
        room_name=room,
        author=participant_for(by, guest_id=None, guest_name=None, connection="c"),
        user=by,
        body=body,
        client_id=f"c{next(CLIENT_IDS)}",
    ).message.seq


def react(
    by: User | AnonymousUser, seq: int, emoji: str, *, remove: bool = False, client_id: str = ""
) -> Message | None:
    return services.react(
        room_name="lobby",
        user=by,
        seq=seq,
        emoji=emoji,
        remove=remove,
        client_id=client_id or f"r{next(CLIENT_IDS)}",
    )


def shown(seq: int) -> list[tuple[str, list[str]]]:
    """The reactions on message `seq` of the lobby, as a history page shows them."""
    page, _ = selectors.messages_before("lobby", None, limit=50)
    (message,) = [m for m in page if m.seq == seq]
    return [(r.emoji, r.users) for r in selectors.reactions_on(page).get(message.pk, [])]


def test_a_reaction_takes_the_next_seq_and_history_shows_who_reacted(ann: User, ben: User) -> None:
    seq = post("lobby", ann)

    change = react(ben, seq, "👍")
    react(ann, seq, "👍")
    react(ann, seq, "🎉")

    assert change is not None
    assert (change.seq, change.kind, change.target_seq, change.body) == (2, "react", 1, "👍")
    assert shown(seq) == [("👍", ["ben", "ann"]), ("🎉", ["ann"])]


def test_taking_a_reaction_back_is_an_entry_too_and_history_no_longer_shows_it(
    ann: User, ben: User
) -> None:
    seq = post("lobby", ann)
    react(ben, seq, "👍")

    change = react(ben, seq, "👍", remove=True)

    assert change is not None
    assert (change.seq, change.kind, change.body) == (3, "unreact", "👍")
    assert shown(seq) == []


def test_asking_for_what_stands_already_stores_nothing(ann: User, ben: User) -> None:
    seq = post("lobby", ann)
    react(ben, seq, "👍")

    assert react(ben, seq, "👍") is None
    assert react(ben, seq, "🎉", remove=True) is None
    assert selectors.newest_seq("lobby") == 2


def test_a_resent_reaction_returns_the_change_stored_the_first_time(ann: User) -> None:
    seq = post("lobby", ann)
    first = react(ann, seq, "👍", client_id="same")

    again = react(ann, seq, "👍", client_id="same")

    assert first is not None
    assert again is not None
    assert again.pk == first.pk
    assert selectors.newest_seq("lobby") == 2


def test_a_client_that_resumes_gets_every_reaction_change_in_order(ann: User, ben: User) -> None:
    seq = post("lobby", ann)
    react(ben, seq, "👍")
    react(ben, seq, "👍", remove=True)

    entries = selectors.messages_after("lobby", 0)

    assert [(m.seq, m.kind, m.body) for m in entries] == [
        (1, "message", "hi"),
        (2, "react", "👍"),
        (3, "unreact", "👍"),
    ]


def test_history_pages_and_unread_counts_leave_reactions_out(ann: User, ben: User) -> None:
    seq = post("lobby", ann)
    react(ben, seq, "👍")

    page, _ = selectors.messages_before("lobby", None, limit=50)

    assert [m.seq for m in page] == [seq]


def test_a_guest_may_not_react(ann: User) -> None:
    seq = post("lobby", ann)

    with pytest.raises(services.ChatError, match="Log in"):
        react(AnonymousUser(), seq, "👍")


def test_a_deleted_message_takes_no_reactions(ann: User, ben: User) -> None:
    seq = post("lobby", ann)
    services.delete_message(room_name="lobby", user=ann, seq=seq, client_id="d")

    with pytest.raises(services.ChatError, match="was deleted"):
        react(ben, seq, "👍")


def test_a_non_member_may_not_react_in_a_private_room(ann: User, ben: User) -> None:
    room = services.create_private_room(owner=ann, name="den", member_usernames=[])
    seq = post(room.name, ann)

    with pytest.raises(services.NotAllowed):
        services.react(room_name="den", user=ben, seq=seq, emoji="👍", remove=False, client_id="x")


def test_a_message_takes_a_bounded_number_of_different_reactions(ann: User, ben: User) -> None:
    seq = post("lobby", ann)
    emoji = [chr(0x1F600 + n) for n in range(REACTIONS_PER_MESSAGE_MAX + 1)]
    for each in emoji[:-1]:
        react(ann, seq, each)

    with pytest.raises(services.ChatError, match="at most"):
        react(ann, seq, emoji[-1])
    assert react(ben, seq, emoji[0]) is not None  # one already there: more people may add it


@pytest.mark.parametrize("emoji", ["👍", "❤️", "👍🏽", "👩‍👩‍👧", "🇫🇷", "1️⃣"])
def test_an_emoji_is_a_reaction(emoji: str) -> None:
    assert ReactRequest(seq=1, emoji=emoji).emoji == emoji


@pytest.mark.parametrize("text", ["", "ok", "👍 nice", "<b>", "a👍", "👍" * 17])
def test_text_is_not_a_reaction(text: str) -> None:
    with pytest.raises(ValidationError):
        ReactRequest(seq=1, emoji=text)
