"""
Chat writes. Synchronous and transactional: consumers call them through
database_sync_to_async and broadcast only after they return, that is after
the commit, so no client ever sees a message a rollback erased.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction

from chat import notifications
from chat.models import Membership, Message, Room
from chat.participants import Participant
from chat.rooms import ROOM_NAME_RULE, is_valid_room_name
from chat.selectors import is_member


class ChatError(Exception):
    """A request the chat rules refuse; the message is meant for the user."""


class NotAllowed(ChatError):
    """The user may not do this in this room."""


@dataclass(frozen=True)
class Posted:
    """A stored message, whether this call stored it (False for a resend), and who else
    must hear of it outside the room (the other side of a direct conversation)."""

    message: Message
    created: bool
    direct_recipients: tuple[int, ...] = ()


@transaction.atomic
def post_message(
    *,
    room_name: str,
    author: Participant,
    user: User | AnonymousUser,
    body: str,
    client_id: str,
) -> Posted:
    """
    Store a message under the room's next seq.

    The room row is locked for the transaction, so seqs are handed out and
    committed in order. A client id seen before in this room returns the
    message stored the first time: resending is safe.
    """
    room, _ = Room.objects.get_or_create(name=room_name)
    room = Room.objects.select_for_update().get(pk=room.pk)
    if not is_member(room, user):
        raise NotAllowed("You are not a member of this room.")
    recipients: tuple[int, ...] = ()
    if room.kind == Room.Kind.DIRECT and author.user_id is not None:
        others = room.memberships.exclude(user_id=author.user_id)
        recipients = tuple(others.values_list("user_id", flat=True))
    existing = Message.objects.filter(room=room, client_id=client_id).first()
    if existing is not None:
        existing.room = room
        return Posted(existing, created=False, direct_recipients=recipients)
    room.last_seq += 1
    room.save(update_fields=["last_seq"])
    message = Message.objects.create(
        room=room,
        seq=room.last_seq,
        author_id=author.user_id,
        author_name=author.name,
        is_guest=author.guest,
        body=body,
        client_id=client_id,
    )
    return Posted(message, created=True, direct_recipients=recipients)


def _users_named(usernames: list[str]) -> list[User]:
    wanted = {name.strip() for name in usernames if name.strip()}
    users = list(get_user_model().objects.filter(username__in=wanted, is_active=True))
    missing = wanted - {user.get_username() for user in users}
    if missing:
        raise ChatError(f"No such user: {', '.join(sorted(missing))}.")
    return users


@transaction.atomic
def create_private_room(*, owner: User, name: str, member_usernames: list[str]) -> Room:
    """A room only its members may enter; the owner is always one."""
    if not is_valid_room_name(name):
        raise ChatError(ROOM_NAME_RULE)
    if Room.objects.filter(name=name).exists():
        raise ChatError(f"The room name {name!r} is taken.")
    members = _users_named(member_usernames)
    room = Room.objects.create(name=name, kind=Room.Kind.PRIVATE, owner=owner)
    Membership.objects.bulk_create(
        [Membership(room=room, user=user) for user in {owner, *members}],
        ignore_conflicts=True,
    )
    return room


def _owned_private_room(room_name: str, actor: User) -> Room:
    room = Room.objects.filter(name=room_name, kind=Room.Kind.PRIVATE).first()
    if room is None:
        raise ChatError(f"No private room named {room_name!r}.")
    if room.owner_id != actor.pk:
        raise NotAllowed("Only the room's owner may change its members.")
    return room


@transaction.atomic
def add_member(*, room_name: str, actor: User, username: str) -> None:
    room = _owned_private_room(room_name, actor)
    (user,) = _users_named([username])
    Membership.objects.get_or_create(room=room, user=user)


@transaction.atomic
def remove_member(*, room_name: str, actor: User, username: str) -> None:
    """Remove a member; their open connections to the room are closed after the commit."""
    room = _owned_private_room(room_name, actor)
    (user,) = _users_named([username])
    if user.pk == room.owner_id:
        raise ChatError("The owner cannot be removed from their room.")
    Membership.objects.filter(room=room, user=user).delete()
    user_id = int(user.pk)
    transaction.on_commit(lambda: notifications.membership_revoked(room.name, user_id))


def direct_room_name(first_user_id: int, second_user_id: int) -> str:
    low, high = sorted((first_user_id, second_user_id))
    return f"dm-{low}-{high}"


@transaction.atomic
def direct_room(*, user: User, other_username: str) -> Room:
    """The one room shared by two users for direct messages, created on first use."""
    (other,) = _users_named([other_username])
    if other.pk == user.pk:
        raise ChatError("Direct messages need another user.")
    room, created = Room.objects.get_or_create(
        name=direct_room_name(int(user.pk), int(other.pk)), defaults={"kind": Room.Kind.DIRECT}
    )
    if created:
        Membership.objects.bulk_create([Membership(room=room, user=u) for u in (user, other)])
    return room


def prune_history(*, keep: int) -> int:
    """Delete all but the newest `keep` messages of each room; how many were deleted."""
    deleted = 0
    for room in Room.objects.filter(last_seq__gt=keep).only("id", "last_seq"):
        count, _ = Message.objects.filter(room=room, seq__lte=room.last_seq - keep).delete()
        deleted += count
    return deleted
