"""Reads of chat state. Synchronous: async callers wrap them in database_sync_to_async."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.db.models import (
    Case,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from chat.delivery import Resync, plan_resume
from chat.messages import (
    RECEIPTS_ROOM_MAX,
    UNREAD_COUNTED,
    ReactionView,
    Reader,
    ReadPosition,
    RoomEntry,
)
from chat.models import Membership, Mention, Message, Mute, Reaction, ReadState, Room
from chat.rooms import is_direct_room_name


@dataclass(frozen=True)
class RoomAccess:
    """Whether a user may enter a room, and why not."""

    allowed: bool
    needs_login: bool = False
    reason: str = ""


def room_access(room_name: str, user: AbstractBaseUser | AnonymousUser) -> RoomAccess:
    """
    Public rooms, and public rooms not created yet, are open; others admit
    their members only. A name that differs only in case from a room's is
    refused, as is a direct room's name before that room exists: either
    would let someone start a room that reads the same as another.
    """
    room = Room.objects.filter(name__iexact=room_name).only("id", "name", "kind").first()
    if room is None:
        if is_direct_room_name(room_name):
            return RoomAccess(
                allowed=False,
                needs_login=not user.is_authenticated,
                reason="This direct conversation does not exist: start it from the user's name.",
            )
        return RoomAccess(allowed=True)
    if room.name != room_name:
        return RoomAccess(allowed=False, reason=f"This room is called {room.name!r}.")
    if room.is_public:
        return RoomAccess(allowed=True)
    if not user.is_authenticated:
        return RoomAccess(allowed=False, needs_login=True)
    return RoomAccess(allowed=is_member(room, user))


def is_member(room: Room, user: AbstractBaseUser | AnonymousUser) -> bool:
    if room.is_public:
        return True
    return bool(
        user.is_authenticated and Membership.objects.filter(room=room, user_id=user.pk).exists()
    )


def is_site_moderator(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Staff, and users given the `chat.moderate_room` permission: they moderate public rooms."""
    if not isinstance(user, PermissionsMixin) or not user.is_authenticated:
        return False
    return bool(getattr(user, "is_staff", False)) or user.has_perm("chat.moderate_room")


def role_in(room: Room, user: AbstractBaseUser | AnonymousUser) -> str | None:
    """A private room's "owner", "admin" or "member", as `user` is; None for anyone else."""
    if not user.is_authenticated or room.kind != Room.Kind.PRIVATE:
        return None
    if room.owner_id is not None and room.owner_id == user.pk:
        return "owner"
    found = Membership.objects.filter(room=room, user_id=user.pk).values_list("role", flat=True)
    return next(iter(found), None)


def may_moderate(room: Room, user: AbstractBaseUser | AnonymousUser) -> bool:
    """
    Who may delete anyone's message in `room`, and mute people there: the
    site's moderators, and a private room's owner and admins.
    """
    if is_site_moderator(user):
        return True
    return role_in(room, user) in ("owner", "admin")


def muted_until(room: Room, user: AbstractBaseUser | AnonymousUser) -> datetime | None:
    """Until when `user` may not write in `room`, if a mute is in force."""
    if not user.is_authenticated:
        return None
    found = Mute.objects.filter(room=room, user_id=user.pk, until__gt=timezone.now())
    return next(iter(found.values_list("until", flat=True)), None)


def mute_reason(room_name: str, user_id: int) -> str:
    """What the moderator said when muting `user_id` in the room ("" if nothing)."""
    found = Mute.objects.filter(room__name=room_name, user_id=user_id).values_list(
        "reason", flat=True
    )
    return next(iter(found), "")


def mutes_in_force() -> dict[str, dict[int, datetime]]:
    """Every mute in force: room name -> user id -> until when."""
    mutes: dict[str, dict[int, datetime]] = {}
    found = Mute.objects.filter(until__gt=timezone.now()).values_list(
        "room__name", "user_id", "until"
    )
    for room_name, user_id, until in found:
        mutes.setdefault(room_name, {})[user_id] = until
    return mutes


def room_messages(room_name: str) -> QuerySet[Message]:
    return Message.objects.filter(room__name=room_name).select_related("room")


def messages_after(room_name: str, seq: int, *, upto: int | None = None) -> list[Message]:
    """The stream's entries (messages, edits, deletions) with `seq` < seq <= `upto`, in order."""
    messages = room_messages(room_name).filter(seq__gt=seq)
    if upto is not None:
        messages = messages.filter(seq__lte=upto)
    return list(messages.order_by("seq"))


def messages_before(room_name: str, seq: int | None, *, limit: int) -> tuple[list[Message], bool]:
    """
    Up to `limit` messages before `seq` (else the newest), oldest first, each
    as it is now; and if more exist. Edits and deletions are in the messages.
    """
    messages = room_messages(room_name).filter(kind=Message.Kind.MESSAGE)
    if seq is not None:
        messages = messages.filter(seq__lt=seq)
    page = list(messages.order_by("-seq")[: limit + 1])
    return list(reversed(page[:limit])), len(page) > limit


def messages_around(room_name: str, seq: int, *, limit: int) -> tuple[list[Message], bool, bool]:
    """
    Up to `limit` messages around `seq`, oldest first, each as it is now: it
    in the middle, or nearer one end when the room's history ends there; and
    whether older and newer ones exist.
    """
    messages = room_messages(room_name).filter(kind=Message.Kind.MESSAGE)
    older = list(messages.filter(seq__lte=seq).order_by("-seq")[: limit + 1])  # it first
    newer = list(messages.filter(seq__gt=seq).order_by("seq")[: limit + 1])
    before = min(len(older), max(limit // 2 + 1, limit - len(newer)))
    after = min(len(newer), limit - before)
    page = [*reversed(older[:before]), *newer[:after]]
    return page, len(older) > before, len(newer) > after


@dataclass(frozen=True)
class HistorySlice:
    messages: list[Message]
    reactions: dict[int, list[ReactionView]]
    has_more: bool
    has_newer: bool = False


def history_page(
    room_name: str,
    user: AbstractBaseUser | AnonymousUser,
    *,
    before_seq: int | None,
    around_seq: int | None,
    limit: int,
) -> HistorySlice | None:
    """
    A page of the room's history for `user`, before `before_seq` or around
    `around_seq`, with its reactions; None if they may not read the room.
    One trip to the database thread for what a client asks for.
    """
    if not room_access(room_name, user).allowed:
        return None
    if around_seq is not None:
        page, has_more, has_newer = messages_around(room_name, around_seq, limit=limit)
    else:
        page, has_more = messages_before(room_name, before_seq, limit=limit)
        has_newer = False
    return HistorySlice(page, reactions_on(page), has_more, has_newer)


def reactions_on(messages: Iterable[Message]) -> dict[int, list[ReactionView]]:
    """The reactions on `messages` as they stand, by message id: each emoji in the order given."""
    found: dict[int, dict[str, list[str]]] = {}
    rows = Reaction.objects.filter(message__in=[m.pk for m in messages]).order_by("pk")
    for message_id, emoji, username in rows.values_list("message_id", "emoji", "user__username"):
        found.setdefault(message_id, {}).setdefault(emoji, []).append(username)
    return {
        message_id: [ReactionView(emoji=emoji, users=users) for emoji, users in by_emoji.items()]
        for message_id, by_emoji in found.items()
    }


def who_may_be_mentioned(
    room: Room, usernames: Iterable[str], *, author_id: int | None
) -> tuple[int, ...]:
    """The active users among `usernames` who may read `room`, but its author: by id."""
    names = set(usernames)
    if not names:
        return ()
    users = get_user_model().objects.filter(username__in=names, is_active=True)
    if not room.is_public:
        users = users.filter(memberships__room=room)
    if author_id is not None:
        users = users.exclude(pk=author_id)
    return tuple(sorted(users.values_list("pk", flat=True)))


@dataclass(frozen=True)
class SeqRange:
    """The seqs a room still keeps: first and last, 0 when it has none."""

    first: int
    last: int


def kept_seq_range(room_name: str) -> SeqRange:
    bounds = room_messages(room_name).aggregate(first=Min("seq"), last=Max("seq"))
    return SeqRange(first=bounds["first"] or 0, last=bounds["last"] or 0)


def newest_seqs(room_names: Iterable[str]) -> dict[str, int]:
    """Each room's newest seq (changes included), by name; rooms that do not exist are left out."""
    rooms = Room.objects.filter(name__in=list(room_names))
    return dict(rooms.values_list("name", "last_seq"))


def newest_seq(room_name: str) -> int:
    """The seq of the room's newest message (0 if it has none or does not exist)."""
    newest = Room.objects.filter(name=room_name).values_list("last_seq", flat=True).first()
    return newest or 0


def rooms_of(user: AbstractBaseUser) -> list[Room]:
    """The private and direct rooms a user belongs to, newest first, with their read state."""
    return list(
        with_reads(Room.objects.filter(memberships__user_id=user.pk), user)
        .select_related("owner")
        .prefetch_related("memberships__user")
        .order_by("-created_at")
    )


def room_title(room: Room, viewer: AbstractBaseUser) -> str:
    """
    What `viewer` calls a room: its name, but for a direct room the other
    person's username, as its name (dm-<id>-<id>) means nothing to people.
    Someone outside a direct room (staff, say) sees both usernames.
    """
    if room.kind != Room.Kind.DIRECT:
        return room.name
    members = sorted(room.memberships.all(), key=lambda m: m.user.get_username())
    others = [m.user.get_username() for m in members if m.user_id != viewer.pk]
    if len(others) == 1:
        return others[0]
    return " and ".join(others) or room.name


def room_entry(room: Room, viewer: AbstractBaseUser | AnonymousUser) -> RoomEntry:
    """
    `room` in `viewer`'s room list; members (prefetched) are listed for
    private rooms only. A room from `with_reads` carries the viewer's read state.
    """
    private = not room.is_public
    return RoomEntry(
        name=room.name,
        kind=room.kind,  # type: ignore[arg-type]
        title=room_title(room, viewer) if isinstance(viewer, AbstractBaseUser) else room.name,
        owner=room.owner.get_username() if private and room.owner is not None else None,
        members=sorted(m.user.get_username() for m in room.memberships.all()) if private else [],
        admins=sorted(
            m.user.get_username() for m in room.memberships.all() if m.role == Membership.Role.ADMIN
        )
        if private
        else [],
        last_seq=room.last_seq,
        last_read_seq=getattr(room, "last_read_seq", None),
        unread=getattr(room, "unread", 0),
        mentions=getattr(room, "mentions", 0),
    )


def room_list(user: AbstractBaseUser | AnonymousUser, *, public_limit: int) -> list[RoomEntry]:
    """The busiest `public_limit` public rooms, then the user's own rooms, newest first."""
    public = Room.objects.filter(kind=Room.Kind.PUBLIC).order_by("-last_seq", "name")
    if not (isinstance(user, AbstractBaseUser) and user.is_authenticated):
        return [room_entry(room, user) for room in public[:public_limit]]
    listed = [room_entry(room, user) for room in with_reads(public, user)[:public_limit]]
    return listed + [room_entry(room, user) for room in rooms_of(user)]


# Read state


class CappedCount(Subquery):
    """How many rows a sliced subquery finds: COUNT(*) that stops at the slice's end."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    output_field = IntegerField()


def with_reads(rooms: QuerySet[Room], user: AbstractBaseUser) -> QuerySet[Room]:
    """
    `rooms`, each with `last_read_seq` (None if `user` never read it) and
    `unread`: messages by others after it, counted up to UNREAD_COUNTED.
    A member has read nothing of a room they never opened; anyone else has
    nothing unread in it, as a public room is not theirs to keep up with.
    `mentions` counts the messages after it that name the user, in any
    room: being named is theirs to keep up with wherever it happens.
    """
    read = ReadState.objects.filter(room=OuterRef("pk"), user_id=user.pk)
    member = Membership.objects.filter(room=OuterRef("pk"), user_id=user.pk)
    return rooms.annotate(
        last_read_seq=Subquery(read.values("last_read_seq")[:1]),
        unread_from=Coalesce(F("last_read_seq"), Case(When(Exists(member), then=Value(0)))),
        unread=CappedCount(_unread(OuterRef("pk"), OuterRef("unread_from"), user)),
        mentions=CappedCount(
            _mentions(OuterRef("pk"), Coalesce(OuterRef("last_read_seq"), Value(0)), user)
        ),
    )


def _mentions(room: Any, after: Any, user: AbstractBaseUser) -> QuerySet[Mention, Any]:
    return Mention.objects.filter(room=room, user_id=user.pk, seq__gt=after).values("pk")[
        :UNREAD_COUNTED
    ]


def mention_count(room: Room, user: AbstractBaseUser, after: int) -> int:
    """Messages in `room` after seq `after` that name `user`, counted up to UNREAD_COUNTED."""
    return len(_mentions(room, after, user))


def _unread(room: Any, after: Any, user: AbstractBaseUser) -> QuerySet[Message, Any]:
    others = Message.objects.filter(room=room, seq__gt=after, kind=Message.Kind.MESSAGE).exclude(
        author_id=user.pk
    )
    return others.values("pk")[:UNREAD_COUNTED]


def unread_count(room: Room, user: AbstractBaseUser, after: int) -> int:
    """Messages by others in `room` after seq `after`, counted up to UNREAD_COUNTED."""
    return len(_unread(room, after, user))


def read_position(room_name: str, user: AbstractBaseUser) -> ReadPosition | None:
    """How far `user` has read `room_name`; None if the room does not exist yet."""
    room = with_reads(Room.objects.filter(name=room_name), user).first()
    if room is None:
        return None
    return ReadPosition(
        room=room.name,
        last_read_seq=getattr(room, "last_read_seq", None) or 0,
        unread=getattr(room, "unread", 0),
        mentions=getattr(room, "mentions", 0),
    )


def readers(room: Room) -> list[Reader] | None:
    """
    How far each member of a room with receipts has read (those who read
    anything); None for a room without: public rooms, and private rooms of
    more than RECEIPTS_ROOM_MAX members.
    """
    if room.is_public:
        return None
    if room.kind == Room.Kind.PRIVATE and room.memberships.count() > RECEIPTS_ROOM_MAX:
        return None
    states = ReadState.objects.filter(room=room, user__memberships__room=room)
    return [
        Reader(user=username, last_read_seq=seq)
        for username, seq in states.order_by("user__username").values_list(
            "user__username", "last_read_seq"
        )
    ]


@dataclass(frozen=True)
class Backlog:
    """What a connecting client is sent before live messages."""

    messages: list[Message]
    replay: bool  # the messages after last_seq; otherwise a page of recent history
    has_more: bool
    newest: int
    resync: Resync | None = None  # why last_seq could not be resumed from
    readers: list[Reader] | None = None  # how far each member read, in a room with receipts
    # A history page's reactions as they stand, by message id; a replay has
    # none, as every reaction to a replayed message is replayed after it.
    reactions: dict[int, list[ReactionView]] = field(default_factory=dict)


def backlog(room_name: str, last_seq: int | None, *, resume_limit: int, page_size: int) -> Backlog:
    """The missed messages after `last_seq` or, without one or beyond reach, a history page."""
    kept = kept_seq_range(room_name)
    room = Room.objects.filter(name=room_name).first()
    shown_readers = readers(room) if room is not None else None
    resync: Resync | None = None
    if last_seq is not None:
        plan = plan_resume(last_seq, first_kept=kept.first, newest=kept.last, limit=resume_limit)
        if plan == "replay":
            messages = messages_after(room_name, last_seq)
            return Backlog(messages, True, False, kept.last, readers=shown_readers)
        resync = plan
    page, has_more = messages_before(room_name, None, limit=page_size)
    return Backlog(page, False, has_more, kept.last, resync, shown_readers, reactions_on(page))
