"""Read state: how far each user has read each room, unread counts and read receipts."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser, User

from chat import selectors, services
from chat.messages import UNREAD_COUNTED, Reader
from chat.models import ReadState, Room
from chat.participants import Participant, participant_for

pytestmark = pytest.mark.django_db

GUEST = Participant(key="guest:g", name="Gus", guest=True)


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice")


@pytest.fixture
def bob() -> User:
    return User.objects.create_user("bob")


CLIENT_IDS = itertools.count()


def post(room: str, by: User | None, count: int = 1) -> int:
    """Post `count` messages to `room` as `by` (a guest if None); the last one's seq."""
    user = by or AnonymousUser()
    author = participant_for(by, guest_id=None, guest_name=None, connection="c") if by else GUEST
    seq = 0
    for _ in range(count):
        seq = services.post_message(
            room_name=room, author=author, user=user, body="hi", client_id=f"c{next(CLIENT_IDS)}"
        ).message.seq
    return seq


def entry(user: User, room: str) -> tuple[int | None, int]:
    """(last_read_seq, unread) of `room` in `user`'s room list."""
    (listed,) = [r for r in selectors.room_list(user, public_limit=50) if r.name == room]
    return listed.last_read_seq, listed.unread


def test_unread_counts_the_messages_of_others_after_the_last_one_read(
    alice: User, bob: User
) -> None:
    post("lobby", bob, 3)
    services.mark_read(room_name="lobby", user=alice, seq=2)
    post("lobby", alice, 2)
    post("lobby", None, 1)

    assert entry(alice, "lobby") == (2, 2)  # bob's third and the guest's, not her own


def test_a_public_room_never_opened_has_nothing_unread_but_a_members_room_has_it_all(
    alice: User, bob: User
) -> None:
    post("lobby", bob, 2)
    services.create_private_room(owner=bob, name="team", member_usernames=["alice"])
    post("team", bob, 3)

    assert entry(alice, "lobby") == (None, 0)
    assert entry(alice, "team") == (None, 3)


def test_unread_is_counted_up_to_a_cap(alice: User, bob: User) -> None:
    post("lobby", bob, UNREAD_COUNTED + 5)
    services.mark_read(room_name="lobby", user=alice, seq=1)

    assert entry(alice, "lobby") == (1, UNREAD_COUNTED)


def test_read_state_only_moves_forward(alice: User, bob: User) -> None:
    post("lobby", bob, 5)

    first = services.mark_read(room_name="lobby", user=alice, seq=4)
    back = services.mark_read(room_name="lobby", user=alice, seq=2)
    same = services.mark_read(room_name="lobby", user=alice, seq=4)

    assert (first.moved, first.position.last_read_seq, first.position.unread) == (True, 4, 1)
    assert (back.moved, back.position.last_read_seq, back.position.unread) == (False, 4, 1)
    assert (same.moved, same.position.last_read_seq) == (False, 4)
    assert ReadState.objects.get(user=alice).last_read_seq == 4


def test_a_seq_beyond_the_rooms_newest_is_refused(alice: User, bob: User) -> None:
    post("lobby", bob, 2)

    with pytest.raises(services.ChatError, match="newest message is 2; 3 is beyond it"):
        services.mark_read(room_name="lobby", user=alice, seq=3)
    with pytest.raises(services.ChatError, match="newest message is 0"):
        services.mark_read(room_name="not-yet", user=alice, seq=1)
    assert not services.mark_read(room_name="not-yet", user=alice, seq=0).moved


def test_a_guest_keeps_no_read_state_and_a_stranger_none_in_a_private_room(
    alice: User, bob: User
) -> None:
    post("lobby", bob, 1)
    services.create_private_room(owner=bob, name="team", member_usernames=[])

    with pytest.raises(services.ChatError, match="Log in"):
        services.mark_read(room_name="lobby", user=AnonymousUser(), seq=1)
    with pytest.raises(services.NotAllowed):
        services.mark_read(room_name="team", user=alice, seq=0)
    assert not ReadState.objects.exists()


def test_receipts_are_kept_for_direct_and_small_private_rooms_only(alice: User, bob: User) -> None:
    direct = services.direct_room(user=alice, other_username="bob")
    post(direct.name, bob, 2)
    services.mark_read(room_name=direct.name, user=alice, seq=2)
    for n in range(11):
        User.objects.create_user(f"member{n}")
    crowd = services.create_private_room(
        owner=alice, name="crowd", member_usernames=[f"member{n}" for n in range(11)]
    )
    post("lobby", bob, 1)

    assert selectors.readers(direct) == [Reader(user="alice", last_read_seq=2)]
    assert selectors.readers(crowd) is None
    assert selectors.readers(Room.objects.get(name="lobby")) is None
