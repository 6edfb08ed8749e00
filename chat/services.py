"""
Chat writes. Synchronous and transactional: consumers call them through
database_sync_to_async (posting a message through `post`, which takes a
shorter way where it can) and broadcast only after they return, that is
after the commit, so no client ever sees a message a rollback erased.
"""

import asyncio
import functools
import re
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from chat import audit, files, notifications, selectors
from chat.messages import REACTIONS_PER_MESSAGE_MAX, Reader, ReadPosition
from chat.models import (
    Membership,
    Mention,
    Message,
    ModerationAction,
    Reaction,
    ReadState,
    Report,
    Room,
    StoredMessage,
)
from chat.participants import Participant, participant_for
from chat.rooms import (
    RESERVED_NAME_RULE,
    ROOM_NAME_RULE,
    direct_room_name,
    is_direct_room_name,
    is_valid_room_name,
)
from chat.selectors import is_member
from core import pg
from core.batches import Batcher

# `@username`, not inside a word or an address (a@b.c); a username's last
# character is no full stop, so a name that ends a sentence is matched alone.
MENTION = re.compile(r"(?<![\w.+@-])@([\w.+@-]*[\w+-])")
MENTIONS_MAX = 20
LOG_IN_TO_CHANGE = "Log in to change messages: edit, delete or react."


class ChatError(Exception):
    """A request the chat rules refuse; the message is meant for the user."""


class NotAllowed(ChatError):
    """The user may not do this in this room."""


class Muted(ChatError):
    """The user is muted in this room: they may read, not write."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"You are muted in this room until {until:%Y-%m-%d %H:%M} UTC.")
        self.until = until


def check_not_muted(room: Room, user: AbstractBaseUser | AnonymousUser) -> None:
    """Raise Muted if a mute keeps `user` from writing in `room` (see chat.mutes)."""
    if (until := selectors.muted_until(room, user)) is not None:
        raise Muted(until)


@dataclass(frozen=True)
class Posted:
    """
    A stored message, whether this call stored it (False for a resend), and
    who else must hear of it outside the room: the other members of a
    private room or direct conversation, and whether it is a direct one.
    """

    message: StoredMessage
    created: bool
    members: tuple[int, ...] = ()
    direct: bool = False
    mentioned: tuple[int, ...] = ()  # the users it names, who may read it


def post_message(
    *,
    room_name: str,
    author: Participant,
    user: AbstractBaseUser | AnonymousUser,
    body: str,
    client_id: str,
    attachments: Sequence[int] = (),
) -> Posted:
    """
    Store a message under the room's next seq, with the author's uploads
    `attachments` (see files.upload).

    The room's row is locked while its seq is counted and the message
    inserted, so seqs are handed out and committed in order. A client id
    seen before in this room returns the message stored the first time:
    resending is safe.
    """
    try:
        return _store(room_name, author, user, _fields(author, body, client_id), attachments)
    except IntegrityError:
        # Only a resend breaks a constraint (seqs are handed out under the
        # lock): its transaction is gone, the first copy is what it meant.
        existing = Message.objects.select_related("room").get(
            room__name=room_name, client_id=client_id
        )
        mentioned = tuple(existing.mentions.values_list("user_id", flat=True))
        return _posted(existing.as_stored(), existing.room, author, False, mentioned)


def post_and_publish(
    *,
    room_name: str,
    user: User,
    body: str,
    client_id: str | None = None,
    attachments: Sequence[int] = (),
) -> Posted:
    """
    `post_message` for code outside a consumer (the HTTP API, a Celery task,
    a management command, the admin), as `user`: stored in the room's stream
    like any message, and broadcast once the transaction commits (at once
    outside one). If the process dies in between, the message is stored but
    told to no one: the rooms' connections catch up from the database
    (chat.heads).
    """
    client_id = client_id or uuid.uuid4().hex
    author = participant_for(user, guest_id=None, guest_name=None, connection=client_id)
    if (room := Room.objects.filter(name=room_name).first()) is not None:
        check_not_muted(room, user)
    posted = post_message(
        room_name=room_name,
        author=author,
        user=user,
        body=body,
        client_id=client_id,
        attachments=attachments,
    )
    transaction.on_commit(lambda: publish(posted), robust=True)
    return posted


def publish(posted: Posted) -> None:
    """Broadcast a stored message from synchronous code (see `post_and_publish`)."""
    async_to_sync(notifications.message_posted)(
        posted.message, posted.members, direct=posted.direct, mentioned=posted.mentioned
    )


async def post(
    *,
    room_name: str,
    author: Participant,
    user: AbstractBaseUser | AnonymousUser,
    body: str,
    client_id: str,
    attachments: Sequence[int] = (),
) -> Posted:
    """
    `post_message`, from the event loop. On PostgreSQL a message to a public
    room that exists (most of them) is one statement on the event loop's own
    connection (see core.pg), with no hop to Django's database thread, and
    the messages posted to the room in this process while it runs are stored
    together by the next one (see `_append_to_public_room`); everything else
    (SQLite, a private, direct or new room, a resend, a message that names
    someone, whose mentions are stored in the same statement, one with
    attachments) takes `post_message`.
    """
    if pg.available() and not mentioned_names(body) and not attachments:
        fields = _fields(author, body, client_id)
        row = await _public_appends()(room_name, fields)
        if row is not None:
            return Posted(_appended(row, room_name, fields), created=True)
    posted: Posted = await database_sync_to_async(post_message)(
        room_name=room_name,
        author=author,
        user=user,
        body=body,
        client_id=client_id,
        attachments=attachments,
    )
    return posted


_appends: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, Batcher[str, dict[str, Any], pg.Row | None]
] = weakref.WeakKeyDictionary()


def _public_appends() -> Batcher[str, dict[str, Any], pg.Row | None]:
    """This event loop's batcher of messages to public rooms, by room name."""
    loop = asyncio.get_running_loop()
    if (batcher := _appends.get(loop)) is None:
        batcher = _appends[loop] = Batcher(_append_to_public_room)
    return batcher


async def _append_to_public_room(
    room_name: str, batch: Sequence[dict[str, Any]]
) -> list[pg.Row | None]:
    """
    Store `batch` in the public room `room_name` in one statement: one round
    trip, one lock of the room's row and one commit for all of them, where
    each would wait for the one before it to commit (the room's row is
    locked until then). A row (id, seq) per message, in order; all
    None if the room is not a public one that exists or one of them is a
    resend (`post_message` then takes each).
    """
    room_is = {"name": room_name, "kind": Room.Kind.PUBLIC}
    try:
        if len(batch) == 1:
            return [await pg.fetchone(*_append_statement(batch[0], **room_is))]
        rows = await pg.fetchall(*_append_many_statement(batch, **room_is))
    except psycopg.errors.UniqueViolation:
        return [None] * len(batch)
    if not rows:
        return [None] * len(batch)
    rows.sort(key=lambda stored: int(stored[1]))  # by seq: the order of `batch`
    return [*rows]


def _fields(author: Participant, body: str, client_id: str) -> dict[str, Any]:
    return {
        "author_id": author.user_id,
        "author_name": author.name,
        "is_guest": author.guest,
        "body": body,
        "client_id": client_id,
        "created_at": timezone.now(),
    }


def _store(
    room_name: str,
    author: Participant,
    user: AbstractBaseUser | AnonymousUser,
    fields: dict[str, Any],
    attachments: Sequence[int] = (),
) -> Posted:
    names = mentioned_names(fields["body"])
    in_one_statement = (
        connection.vendor == "postgresql" and not connection.in_atomic_block and not attachments
    )
    if in_one_statement:
        # Most messages go to a public room that exists: anyone may post
        # there, so one statement finds the room, counts and inserts.
        appended = _append_in_one_statement(
            room_name, fields, names, name=room_name, kind=Room.Kind.PUBLIC
        )
        if appended is not None:
            return Posted(appended[0], created=True, mentioned=appended[1])
    room = _room_to_post_in(room_name)
    if not is_member(room, user):
        raise NotAllowed("You are not a member of this room.")
    if in_one_statement:
        appended = _append_in_one_statement(room.name, fields, names, id=room.pk)
        if appended is None:
            raise Room.DoesNotExist(f"Room {room_name!r} was deleted meanwhile.")
        message, mentioned = appended
    else:
        message, mentioned = _append_in_a_transaction(room, fields, names, attachments)
    return _posted(message, room, author, True, mentioned)


def _room_to_post_in(room_name: str) -> Room:
    """
    The room named exactly `room_name`, or a new public one. A post never
    creates a room whose name a direct room may have, nor one that differs
    only in case from another room's.
    """
    room = Room.objects.filter(name__iexact=room_name).first()
    if room is None:
        if is_direct_room_name(room_name):
            raise NotAllowed("This direct conversation does not exist.")
        room, _ = Room.objects.get_or_create(name=room_name)
    elif room.name != room_name:
        raise NotAllowed(f"This room is called {room.name!r}.")
    return room


def _append_statement(fields: dict[str, Any], **room_is: Any) -> tuple[str, list[Any]]:
    """
    The statement that counts and inserts in the room whose columns are as
    `room_is` says, returning (id, seq); no row if there is no such
    room. The room's row is locked only while PostgreSQL runs it: a lock
    held across round trips is held for as long as the client waits for its
    turn to run (the GIL, the event loop), and every process posting to the
    room queues behind it.
    """
    sql = _append_sql(tuple(fields), tuple(room_is))
    return sql, [*room_is.values(), *fields.values()]


@functools.cache
def _append_sql(columns: tuple[str, ...], room_columns: tuple[str, ...]) -> str:
    values = ", ".join(["%s"] * len(columns))
    return (
        f"{_counted_insert('1', columns, room_columns)} "
        f"SELECT room.id, room.last_seq, {values} FROM room RETURNING id, seq"
    )


def _counted_insert(count: str, columns: tuple[str, ...], room_columns: tuple[str, ...]) -> str:
    """
    The start of an append: the room's last_seq raised by `count` (SQL), its
    id and new last_seq as `room`, and the INSERT of `columns` that follows.
    """
    quote = connection.ops.quote_name
    return (
        f"WITH room AS (UPDATE {quote(Room._meta.db_table)} SET last_seq = last_seq + {count} "
        f"WHERE {' AND '.join(f'{quote(column)} = %s' for column in room_columns)} "
        "RETURNING id, last_seq) "
        f"INSERT INTO {quote(Message._meta.db_table)} (room_id, seq, "
        f"{', '.join(quote(column) for column in columns)})"
    )


def _append_many_statement(
    batch: Sequence[dict[str, Any]], **room_is: Any
) -> tuple[str, list[Any]]:
    """`_append_statement` for several messages, as one array of values per column."""
    columns = tuple(batch[0])
    sql = _append_many_sql(columns, tuple(room_is))
    count = len(batch)
    arrays = [[fields[column] for fields in batch] for column in columns]
    return sql, [count, *room_is.values(), count, *arrays]


@functools.cache
def _append_many_sql(columns: tuple[str, ...], room_columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{_column_type(column)}[]" for column in columns)
    names = [quote(column) for column in columns]
    return (
        f"{_counted_insert('%s', columns, room_columns)} "
        f"SELECT room.id, room.last_seq - %s + new.n, {', '.join(f'new.{n}' for n in names)} "
        f"FROM room, unnest({arrays}) WITH ORDINALITY AS new({', '.join(names)}, n) "
        "RETURNING id, seq"
    )


def _column_type(column: str) -> str:
    """The SQL type of a column of Message."""
    field = Message._meta.get_field(column)
    assert isinstance(field, models.Field)
    return str(field.db_type(connection))


def _appended(row: tuple[Any, ...], room_name: str, fields: dict[str, Any]) -> StoredMessage:
    pk, seq = row
    return StoredMessage(id=pk, room_name=room_name, seq=seq, **fields)


def _append_in_one_statement(
    room_name: str, fields: dict[str, Any], names: frozenset[str], **room_is: Any
) -> tuple[StoredMessage, tuple[int, ...]] | None:
    """
    Count and insert with `_append_statement` on Django's connection, and
    mention the users among `names` who may read the room in the same
    statement; the message and whom it mentions, or None if no room is as
    `room_is` says.
    """
    if not names:
        sql, params = _append_statement(fields, **room_is)
    else:
        sql = _append_mentioning_sql(tuple(fields), tuple(room_is))
        params = [*room_is.values(), *fields.values(), sorted(names), fields["author_id"]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return _appended(row[:2], room_name, fields), tuple(row[2]) if names else ()


@functools.cache
def _append_mentioning_sql(columns: tuple[str, ...], room_columns: tuple[str, ...]) -> str:
    """
    `_append_sql`, and the mentions of the active users named (an array of
    usernames), but the author, who may read the room: anyone for a public
    room, its members for another. Returns (id, seq, the ids mentioned).
    """
    quote = connection.ops.quote_name
    user = get_user_model()
    values = ", ".join(["%s"] * len(columns))
    return (
        f"WITH room AS (UPDATE {quote(Room._meta.db_table)} SET last_seq = last_seq + 1 "
        f"WHERE {' AND '.join(f'{quote(column)} = %s' for column in room_columns)} "
        "RETURNING id, last_seq, kind), "
        f"message AS (INSERT INTO {quote(Message._meta.db_table)} (room_id, seq, "
        f"{', '.join(quote(column) for column in columns)}) "
        f"SELECT room.id, room.last_seq, {values} FROM room RETURNING id, room_id, seq), "
        f"mentioned AS (INSERT INTO {quote(Mention._meta.db_table)} "
        "(message_id, user_id, room_id, seq) "
        "SELECT message.id, person.id, message.room_id, message.seq "
        f"FROM message, room, {quote(user._meta.db_table)} AS person "
        f"WHERE person.{quote(user.USERNAME_FIELD)} = ANY(%s) AND person.is_active "
        "AND person.id IS DISTINCT FROM %s::bigint "
        f"AND (room.kind = '{Room.Kind.PUBLIC}' OR EXISTS (SELECT 1 FROM "
        f"{quote(Membership._meta.db_table)} AS member WHERE member.room_id = message.room_id "
        "AND member.user_id = person.id)) RETURNING user_id) "
        "SELECT message.id, message.seq, ARRAY(SELECT user_id FROM mentioned ORDER BY user_id) "
        "FROM message"
    )


@transaction.atomic
def _append_in_a_transaction(
    room: Room,
    fields: dict[str, Any],
    names: frozenset[str] = frozenset(),
    attachments: Sequence[int] = (),
) -> tuple[StoredMessage, tuple[int, ...]]:
    """
    Lock the room, count, insert: seqs are handed out and committed in
    order. The users among `names` who may read the room are mentioned in
    the same transaction: a message is never stored without its mentions
    (as `_append_mentioning_sql` does in one statement), nor its files.
    """
    room = Room.objects.select_for_update().get(pk=room.pk)
    room.last_seq += 1
    message = Message.objects.create(room=room, seq=room.last_seq, **fields)
    room.save(update_fields=["last_seq"])
    if attachments:
        try:
            taken = files.take_for_message(room, fields["author_id"], attachments)
        except files.UploadRefused as refused:
            raise ChatError(str(refused)) from refused
        message.attachments = [attachment.as_shown() for attachment in taken]
        message.save(update_fields=["attachments"])
        message.files.add(*taken, bulk=True)
    mentioned = selectors.who_may_be_mentioned(room, names, author_id=fields["author_id"])
    Mention.objects.bulk_create(
        [Mention(message=message, user_id=u, room=room, seq=message.seq) for u in mentioned]
    )
    return message.as_stored(), mentioned


def mentioned_names(body: str) -> frozenset[str]:
    """The usernames a message names, as `@username`: at most MENTIONS_MAX of them."""
    if "@" not in body:  # most messages: no pattern to run
        return frozenset()
    return frozenset(MENTION.findall(body)[:MENTIONS_MAX])


def _posted(
    message: StoredMessage,
    room: Room,
    author: Participant,
    created: bool,
    mentioned: tuple[int, ...] = (),
) -> Posted:
    """What `post_message` returns: with the other members of a room that has members."""
    if room.is_public:
        return Posted(message, created=created, mentioned=mentioned)
    members = tuple(
        user_id
        for user_id in room.memberships.values_list("user_id", flat=True)
        if user_id != author.user_id
    )
    direct = room.kind == Room.Kind.DIRECT
    return Posted(message, created, members, direct, mentioned)


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
    if is_direct_room_name(name):
        raise ChatError(RESERVED_NAME_RULE)
    if (taken := Room.objects.filter(name__iexact=name).first()) is not None:
        if taken.name == name:
            raise ChatError(f"The room name {name!r} is taken.")
        raise ChatError(f"The room name {name!r} is taken: a room called {taken.name!r} exists.")
    members = _users_named(member_usernames)
    room = Room.objects.create(name=name, kind=Room.Kind.PRIVATE, owner=owner)
    everyone = {owner, *members}
    Membership.objects.bulk_create(
        [Membership(room=room, user=user) for user in everyone], ignore_conflicts=True
    )
    _announce_members(room, [int(user.pk) for user in everyone])
    return room


def _announce_members(room: Room, user_ids: list[int]) -> None:
    """After the commit, the new members' connections list the room."""
    transaction.on_commit(lambda: notifications.membership_granted(room, user_ids))


def _managed_private_room(room_name: str, actor: User) -> tuple[Room, str]:
    """The private room `actor` runs (as its owner or an admin), and which of the two they are."""
    room = Room.objects.select_for_update().filter(name=room_name, kind=Room.Kind.PRIVATE).first()
    if room is None:
        raise ChatError(f"No private room named {room_name!r}.")
    role = selectors.role_in(room, actor)
    if role not in ("owner", "admin"):
        raise NotAllowed("Only the room's owner and admins may change its members.")
    assert role is not None
    return room, role


@transaction.atomic
def add_member(*, room_name: str, actor: User, username: str) -> None:
    room, _ = _managed_private_room(room_name, actor)
    (user,) = _users_named([username])
    _, created = Membership.objects.get_or_create(room=room, user=user)
    if created:
        audit.record(ModerationAction.Kind.ADD_MEMBER, actor=actor, room=room, subject=user)
        _announce_members(room, [int(user.pk)])


@transaction.atomic
def remove_member(*, room_name: str, actor: User, username: str) -> None:
    """
    Remove a member (the owner anyone, an admin members only); their open
    connections to the room are closed after the commit.
    """
    room, role = _managed_private_room(room_name, actor)
    (user,) = _users_named([username])
    if user.pk == room.owner_id:
        raise ChatError("The owner cannot be removed from their room.")
    membership = Membership.objects.filter(room=room, user=user).first()
    if membership is None:
        raise ChatError(f"{username} is not a member of this room.")
    if role == "admin" and membership.role == Membership.Role.ADMIN and user.pk != actor.pk:
        raise NotAllowed("Only the room's owner may remove an admin.")
    membership.delete()
    if user.pk != actor.pk:  # leaving is no moderation
        audit.record(ModerationAction.Kind.REMOVE_MEMBER, actor=actor, room=room, subject=user)
    user_id = int(user.pk)
    transaction.on_commit(lambda: notifications.membership_revoked(room.name, user_id))


@transaction.atomic
def direct_room(*, user: User, other_username: str) -> Room:
    """
    The one room shared by two users for direct messages, created on first
    use. A room of that name that is not a direct room of exactly these two
    (made before its name was kept for them) is never handed out.
    """
    (other,) = _users_named([other_username])
    if other.pk == user.pk:
        raise ChatError("Direct messages need another user.")
    name = direct_room_name(int(user.pk), int(other.pk))
    room = Room.objects.filter(name__iexact=name).first()
    if room is None:
        room, created = Room.objects.get_or_create(name=name, defaults={"kind": Room.Kind.DIRECT})
        if created:
            Membership.objects.bulk_create([Membership(room=room, user=u) for u in (user, other)])
            _announce_members(room, [int(user.pk), int(other.pk)])
            return room
    members = set(room.memberships.values_list("user_id", flat=True))
    if room.kind != Room.Kind.DIRECT or room.name != name or members != {user.pk, other.pk}:
        raise NotAllowed(
            f"The room {room.name!r} is not your direct conversation: "
            "ask the site's staff to rename it."
        )
    return room


def edit_message(
    *, room_name: str, user: AbstractBaseUser | AnonymousUser, seq: int, body: str, client_id: str
) -> Message:
    """
    Change the text of `user`'s own message `seq`; the edit, an entry of
    the room's stream with a seq of its own, is returned for broadcast.
    """

    def check(room: Room, target: Message) -> bool:
        if target.author_id is None or target.author_id != user.pk:
            raise ChatError("You can edit only your own messages.")
        return True

    def apply(target: Message, now: datetime) -> None:
        target.body, target.edited_at = body, now
        target.save(update_fields=["body", "edited_at"])

    change = _change(room_name, user, seq, client_id, Message.Kind.EDIT, body, check, apply)
    assert change is not None, "an edit always changes"
    return change


def delete_message(
    *, room_name: str, user: AbstractBaseUser | AnonymousUser, seq: int, client_id: str
) -> Message:
    """
    Delete message `seq`: `user`'s own, or anyone's if they moderate the
    room. Its text goes; it stays in the stream as a tombstone. The
    deletion, an entry of the stream, is returned for broadcast.
    """

    def check(room: Room, target: Message) -> bool:
        own = target.author_id is not None and target.author_id == user.pk
        if not own and not selectors.may_moderate(room, user):
            raise ChatError("Only its author or a moderator of the room may delete a message.")
        if not own:
            handled = target.reports.filter(status=Report.Status.OPEN).update(
                status=Report.Status.DELETED, handled_by_id=user.pk, handled_at=timezone.now()
            )
            audit.record(
                ModerationAction.Kind.DELETE_MESSAGE,
                actor=user,
                room=room,
                subject=target.author,
                subject_name=target.author_name,
                seq=target.seq,
                detail=target.body[:400] + (f" (reported {handled} times)" if handled else ""),
            )
        return True

    def apply(target: Message, now: datetime) -> None:
        target.body, target.deleted_at, target.attachments = "", now, None
        target.save(update_fields=["body", "deleted_at", "attachments"])
        target.mentions.all().delete()  # no longer counted, nor shown
        files.delete_with_message(target)

    change = _change(room_name, user, seq, client_id, Message.Kind.DELETE, "", check, apply)
    assert change is not None, "a deletion always changes"
    return change


def react(
    *,
    room_name: str,
    user: AbstractBaseUser | AnonymousUser,
    seq: int,
    emoji: str,
    remove: bool,
    client_id: str,
) -> Message | None:
    """
    Add `user`'s `emoji` to message `seq`, or take it back (`remove`). The
    change, an entry of the room's stream, is returned for broadcast; None
    if it stood so already, and nothing was stored.
    """
    if not user.is_authenticated:
        raise ChatError(LOG_IN_TO_CHANGE)
    user_id = int(user.pk)
    kind = Message.Kind.UNREACT if remove else Message.Kind.REACT

    def check(room: Room, target: Message) -> bool:
        has = target.reactions.filter(user_id=user_id, emoji=emoji).exists()
        if has != remove:  # adding what is there already, or taking back what is not
            return False
        if not remove and not target.reactions.filter(emoji=emoji).exists():
            shown = target.reactions.values("emoji").distinct().count()
            if shown >= REACTIONS_PER_MESSAGE_MAX:
                raise ChatError(
                    f"A message takes at most {REACTIONS_PER_MESSAGE_MAX} different reactions."
                )
        return True

    def apply(target: Message, now: datetime) -> None:
        if remove:
            target.reactions.filter(user_id=user_id, emoji=emoji).delete()
        else:
            Reaction.objects.create(message=target, user_id=user_id, emoji=emoji)

    return _change(room_name, user, seq, client_id, kind, emoji, check, apply)


@transaction.atomic
def _change(
    room_name: str,
    user: AbstractBaseUser | AnonymousUser,
    seq: int,
    client_id: str,
    kind: str,
    body: str,
    check: Callable[[Room, Message], bool],
    apply: Callable[[Message, datetime], None],
) -> Message | None:
    """
    Change message `seq` and append the change to the room's stream, under
    the room's row lock as a post is. `check` refuses (ChatError) or says
    whether there is anything to change; if not, nothing is stored and
    None returned. A client id seen before in the room returns the change
    stored the first time: resending is safe.
    """
    if not user.is_authenticated:
        raise ChatError(LOG_IN_TO_CHANGE)
    room = Room.objects.select_for_update().filter(name=room_name).first()
    # The site's moderators delete messages in rooms they are not in: those reported to them.
    moderating = kind == Message.Kind.DELETE and selectors.is_site_moderator(user)
    if room is None or not (is_member(room, user) or moderating):
        raise NotAllowed("You are not a member of this room.")
    if kind != Message.Kind.DELETE:  # a muted user may still take back their own words
        check_not_muted(room, user)
    earlier = Message.objects.filter(room=room, client_id=client_id).first()
    if earlier is not None:
        if earlier.kind != kind or earlier.target_seq != seq:
            raise ChatError("This client_id was used for something else in this room.")
        return earlier
    target = Message.objects.filter(room=room, seq=seq, kind=Message.Kind.MESSAGE).first()
    if target is None:
        raise ChatError(f"This room has no message {seq}.")
    if target.deleted_at is not None:
        raise ChatError("This message was deleted.")
    if not check(room, target):
        return None
    room.last_seq += 1
    room.save(update_fields=["last_seq"])
    change = Message.objects.create(
        room=room,
        seq=room.last_seq,
        kind=kind,
        target_seq=seq,
        author_id=user.pk,
        author_name=user.get_username(),
        body=body,
        client_id=client_id,
    )
    apply(target, change.created_at)
    return change


@dataclass(frozen=True)
class ReadMark:
    """How far the user has now read a room, and whether this call moved it."""

    position: ReadPosition
    moved: bool


@transaction.atomic
def mark_read(*, room_name: str, user: AbstractBaseUser | AnonymousUser, seq: int) -> ReadMark:
    """
    Keep that `user` has read `room_name` up to `seq`. Read state only moves
    forward: a `seq` behind it changes nothing. Once it moved, after the
    commit, every connection of the user hears of it and, in a room with
    receipts, the other members too.
    """
    if not user.is_authenticated:
        raise ChatError("Log in to keep your place in rooms.")
    room = Room.objects.filter(name=room_name).first()
    if room is not None and not is_member(room, user):
        raise NotAllowed("You are not a member of this room.")
    newest = room.last_seq if room is not None else 0
    if seq > newest:
        raise ChatError(f"The room's newest message is {newest}; {seq} is beyond it.")
    if room is None:  # a room with nothing in it yet: nothing to read
        return ReadMark(ReadPosition(room=room_name, last_read_seq=0, unread=0), moved=False)
    moved = _read_further(room, user, seq)
    read = seq if moved else ReadState.objects.get(room=room, user_id=user.pk).last_read_seq
    position = ReadPosition(
        room=room.name,
        last_read_seq=read,
        unread=selectors.unread_count(room, user, read),
        mentions=selectors.mention_count(room, user, read),
    )
    if moved:
        reader = Reader(user=user.get_username(), last_read_seq=seq)
        receipts = selectors.readers(room) is not None
        user_id = int(user.pk)
        transaction.on_commit(
            lambda: notifications.read_marked(position, user_id, reader, receipts)
        )
    return ReadMark(position, moved)


def _read_further(room: Room, user: AbstractBaseUser, seq: int) -> bool:
    """Move `user`'s read state in `room` forward to `seq`; False if it was there already."""
    ahead = ReadState.objects.filter(room=room, user_id=user.pk, last_read_seq__lt=seq)
    if ahead.update(last_read_seq=seq, updated_at=timezone.now()):
        return True
    _, created = ReadState.objects.get_or_create(
        room=room, user_id=user.pk, defaults={"last_read_seq": seq}
    )
    # Another connection may have made it meanwhile, behind `seq`.
    return created or bool(ahead.update(last_read_seq=seq, updated_at=timezone.now()))


def prune_history(*, keep: int) -> int:
    """Delete all but the newest `keep` messages of each room; how many were deleted."""
    deleted = 0
    for room in Room.objects.filter(last_seq__gt=keep).only("id", "last_seq"):
        count, _ = Message.objects.filter(room=room, seq__lte=room.last_seq - keep).delete()
        deleted += count
    return deleted
