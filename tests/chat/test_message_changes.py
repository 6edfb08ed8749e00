"""Edits and deletions: entries of the room's stream, and history as it is now."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser, User

from chat import selectors, services
from chat.models import Message
from chat.participants import Participant, participant_for

pytestmark = pytest.mark.django_db

GUEST = Participant(key="guest:g", name="Gus", guest=True)
CLIENT_IDS = itertools.count()


def post(room: str, by: User | None, body: str = "hi") -> int:
    author = participant_for(by, guest_id=None, guest_name=None, connection="c") if by else GUEST
    return services.post_message(
        room_name=room,
        author=author,
        user=by or AnonymousUser(),
        body=body,
        client_id=f"c{next(CLIENT_IDS)}",
    ).message.seq


def edit(room: str, by: User | AnonymousUser, seq: int, body: str, client_id: str = "") -> Message:
    return services.edit_message(
        room_name=room, user=by, seq=seq, body=body, client_id=client_id or f"e{next(CLIENT_IDS)}"
    )


def delete(room: str, by: User | AnonymousUser, seq: int) -> Message:
    return services.delete_message(
        room_name=room, user=by, seq=seq, client_id=f"d{next(CLIENT_IDS)}"
    )


def history(room: str) -> list[tuple[int, str, bool, bool]]:
    """(seq, text, edited, deleted) of each message on the room's newest history page."""
    page, _ = selectors.messages_before(room, None, limit=50)
    return [(m.seq, m.body, m.edited_at is not None, m.deleted_at is not None) for m in page]


def test_an_edit_takes_the_next_seq_and_history_shows_the_message_as_edited(ann: User) -> None:
    first = post("lobby", ann, "helo")
    post("lobby", None, "hi ann")

    change = edit("lobby", ann, first, "hello")

    assert (change.seq, change.kind, change.target_seq, change.body) == (3, "edit", 1, "hello")
    assert history("lobby") == [(1, "hello", True, False), (2, "hi ann", False, False)]


def test_a_client_that_resumes_gets_the_changes_in_order_after_the_messages(ann: User) -> None:
    first = post("lobby", ann, "one")
    edit("lobby", ann, first, "one, edited")
    second = post("lobby", ann, "two")
    delete("lobby", ann, second)

    entries = selectors.messages_after("lobby", 0)

    assert [(m.seq, m.kind, m.target_seq) for m in entries] == [
        (1, "message", None),
        (2, "edit", 1),
        (3, "message", None),
        (4, "delete", 3),
    ]


def test_only_its_author_may_edit_a_message(ann: User, ben: User) -> None:
    seq = post("lobby", ann, "mine")
    by_guest = post("lobby", None, "a guest's")

    with pytest.raises(services.ChatError, match="only your own"):
        edit("lobby", ben, seq, "not yours")
    with pytest.raises(services.ChatError, match="only your own"):
        edit("lobby", ann, by_guest, "not yours either")
    with pytest.raises(services.ChatError, match="Log in"):
        edit("lobby", AnonymousUser(), by_guest, "guests keep no identity to edit by")
    assert history("lobby") == [(1, "mine", False, False), (2, "a guest's", False, False)]


def test_a_deleted_message_leaves_a_tombstone_that_cannot_be_edited(ann: User) -> None:
    seq = post("lobby", ann, "oops")

    delete("lobby", ann, seq)

    assert history("lobby") == [(1, "", False, True)]
    with pytest.raises(services.ChatError, match="was deleted"):
        edit("lobby", ann, seq, "too late")
    with pytest.raises(services.ChatError, match="was deleted"):
        delete("lobby", ann, seq)


def test_staff_and_a_private_rooms_owner_may_delete_anyones_message(ann: User, ben: User) -> None:
    staff = User.objects.create_user("mod", is_staff=True)
    in_public = post("lobby", ben, "spam")
    services.create_private_room(owner=ann, name="team", member_usernames=["ben"])
    in_private = post("team", ben, "off topic")

    with pytest.raises(services.ChatError, match="author or a moderator"):
        delete("lobby", ann, in_public)
    delete("lobby", staff, in_public)
    delete("team", ann, in_private)

    assert history("lobby") == [(1, "", False, True)]
    assert history("team") == [(1, "", False, True)]


def test_a_stranger_may_not_change_a_private_rooms_messages(ann: User, ben: User) -> None:
    services.create_private_room(owner=ann, name="team", member_usernames=[])
    seq = post("team", ann, "ours")

    with pytest.raises(services.NotAllowed):
        delete("team", ben, seq)


def test_a_resent_change_is_stored_once(ann: User) -> None:
    seq = post("lobby", ann, "draft")

    first = edit("lobby", ann, seq, "final", client_id="same-edit")
    again = edit("lobby", ann, seq, "final", client_id="same-edit")

    assert again.pk == first.pk
    assert Message.objects.filter(kind="edit").count() == 1


def test_no_such_message_is_an_error(ann: User) -> None:
    post("lobby", ann, "one")

    with pytest.raises(services.ChatError, match="no message 7"):
        edit("lobby", ann, 7, "nothing there")
    change = edit("lobby", ann, 1, "one, edited")
    with pytest.raises(services.ChatError, match=f"no message {change.seq}"):
        edit("lobby", ann, change.seq, "an edit is not a message")


def test_changes_are_not_unread(ann: User, ben: User) -> None:
    seq = post("lobby", ben, "one")
    services.mark_read(room_name="lobby", user=ann, seq=seq)

    edit("lobby", ben, seq, "one, edited")
    delete("lobby", ben, seq)

    (lobby,) = selectors.room_list(ann, public_limit=50)
    assert (lobby.last_seq, lobby.unread) == (3, 0)
