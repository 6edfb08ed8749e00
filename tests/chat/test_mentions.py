"""Mentions: `@username` names a user who may read the room, counted until they read it."""

import itertools

import pytest
from django.contrib.auth.models import User

from chat import selectors, services
from chat.models import Mention, Room
from chat.participants import participant_for

pytestmark = pytest.mark.django_db

CLIENT_IDS = itertools.count()


def post(room: str, by: User, body: str, client_id: str = "") -> services.Posted:
    return services.post_message(
        room_name=room,
        author=participant_for(by, guest_id=None, guest_name=None, connection="c"),
        user=by,
        body=body,
        client_id=client_id or f"c{next(CLIENT_IDS)}",
    )


def mentions_of(user: User, room: str) -> int:
    (entry,) = [e for e in selectors.room_list(user, public_limit=50) if e.name == room]
    return entry.mentions


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("hi @ben", {"ben"}),
        ("@ben, @ann: look", {"ben", "ann"}),
        ("thanks @ben.", {"ben"}),
        ("(@ben)", {"ben"}),
        ("@first.last and @a-b_c", {"first.last", "a-b_c"}),
        ("mail ann@example.com", set()),
        ("no names here", set()),
        ("@ alone", set()),
    ],
)
def test_the_names_a_message_mentions(body: str, names: set[str]) -> None:
    assert services.mentioned_names(body) == names


def test_a_message_mentions_the_users_it_names_who_may_read_it(ann: User, ben: User) -> None:
    User.objects.create_user("cid", is_active=False)

    posted = post("lobby", ann, "@ben @cid @nobody @ann see this")

    assert posted.mentioned == (ben.pk,)  # not a deactivated user, nor the author
    assert list(Mention.objects.values_list("user__username", "room__name", "seq")) == [
        ("ben", "lobby", 1)
    ]


def test_no_one_outside_a_private_room_is_mentioned_in_it(ann: User, ben: User) -> None:
    services.create_private_room(owner=ann, name="den", member_usernames=[])

    posted = post("den", ann, "@ben cannot read this")

    assert posted.mentioned == ()


def test_mentions_count_in_the_room_list_until_read(ann: User, ben: User) -> None:
    post("lobby", ann, "hi @ben")
    post("lobby", ann, "hello all")
    third = post("lobby", ann, "@ben again").message.seq

    assert mentions_of(ben, "lobby") == 2
    services.mark_read(room_name="lobby", user=ben, seq=third - 1)
    assert mentions_of(ben, "lobby") == 1
    mark = services.mark_read(room_name="lobby", user=ben, seq=third)
    assert mark.position.mentions == 0
    assert mentions_of(ben, "lobby") == 0


def test_a_deleted_message_mentions_no_one_any_more(ann: User, ben: User) -> None:
    seq = post("lobby", ann, "hi @ben").message.seq

    services.delete_message(room_name="lobby", user=ann, seq=seq, client_id="d")

    assert mentions_of(ben, "lobby") == 0


def test_a_resend_names_the_same_users_again(ann: User, ben: User) -> None:
    post("lobby", ann, "hi @ben", client_id="once")

    again = post("lobby", ann, "hi @ben", client_id="once")

    assert (again.created, again.mentioned) == (False, (ben.pk,))
    assert Mention.objects.count() == 1


def test_read_position_carries_the_mentions_too(ann: User, ben: User) -> None:
    post("lobby", ann, "@ben")

    position = selectors.read_position("lobby", ben)

    assert position is not None
    assert (position.unread, position.mentions) == (0, 1)  # a public room: unread only if named
    assert Room.objects.get(name="lobby").last_seq == 1
