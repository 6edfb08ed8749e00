"""Reads of chat state. Synchronous: async callers wrap them in database_sync_to_async."""

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Max, Min, QuerySet

from chat.delivery import Resync, plan_resume
from chat.messages import RoomEntry
from chat.models import Membership, Message, Room
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


def room_messages(room_name: str) -> QuerySet[Message]:
    return Message.objects.filter(room__name=room_name).select_related("room")


def messages_after(room_name: str, seq: int, *, upto: int | None = None) -> list[Message]:
    """Messages with `seq` < message seq <= `upto`, oldest first."""
    messages = room_messages(room_name).filter(seq__gt=seq)
    if upto is not None:
        messages = messages.filter(seq__lte=upto)
    return list(messages.order_by("seq"))


def messages_before(room_name: str, seq: int | None, *, limit: int) -> tuple[list[Message], bool]:
    """Up to `limit` messages before `seq` (else the newest), oldest first; and if more exist."""
    messages = room_messages(room_name)
    if seq is not None:
        messages = messages.filter(seq__lt=seq)
    page = list(messages.order_by("-seq")[: limit + 1])
    return list(reversed(page[:limit])), len(page) > limit


@dataclass(frozen=True)
class SeqRange:
    """The seqs a room still keeps: first and last, 0 when it has none."""

    first: int
    last: int


def kept_seq_range(room_name: str) -> SeqRange:
    bounds = room_messages(room_name).aggregate(first=Min("seq"), last=Max("seq"))
    return SeqRange(first=bounds["first"] or 0, last=bounds["last"] or 0)


def newest_seq(room_name: str) -> int:
    """The seq of the room's newest message (0 if it has none or does not exist)."""
    newest = Room.objects.filter(name=room_name).values_list("last_seq", flat=True).first()
    return newest or 0


def rooms_of(user: AbstractBaseUser) -> list[Room]:
    """The private and direct rooms a user belongs to, newest first."""
    return list(
        Room.objects.filter(memberships__user_id=user.pk)
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
    """`room` in `viewer`'s room list; members (prefetched) are listed for private rooms only."""
    private = not room.is_public
    return RoomEntry(
        name=room.name,
        kind=room.kind,  # type: ignore[arg-type]
        title=room_title(room, viewer) if isinstance(viewer, AbstractBaseUser) else room.name,
        owner=room.owner.get_username() if private and room.owner is not None else None,
        members=sorted(m.user.get_username() for m in room.memberships.all()) if private else [],
        last_seq=room.last_seq,
    )


def room_list(user: AbstractBaseUser | AnonymousUser, *, public_limit: int) -> list[RoomEntry]:
    """The busiest `public_limit` public rooms, then the user's own rooms, newest first."""
    public = Room.objects.filter(kind=Room.Kind.PUBLIC).order_by("-last_seq", "name")
    listed = [room_entry(room, user) for room in public[:public_limit]]
    if isinstance(user, AbstractBaseUser) and user.is_authenticated:
        listed += [room_entry(room, user) for room in rooms_of(user)]
    return listed


@dataclass(frozen=True)
class Backlog:
    """What a connecting client is sent before live messages."""

    messages: list[Message]
    replay: bool  # the messages after last_seq; otherwise a page of recent history
    has_more: bool
    newest: int
    resync: Resync | None = None  # why last_seq could not be resumed from


def backlog(room_name: str, last_seq: int | None, *, resume_limit: int, page_size: int) -> Backlog:
    """The missed messages after `last_seq` or, without one or beyond reach, a history page."""
    kept = kept_seq_range(room_name)
    resync: Resync | None = None
    if last_seq is not None:
        plan = plan_resume(last_seq, first_kept=kept.first, newest=kept.last, limit=resume_limit)
        if plan == "replay":
            return Backlog(messages_after(room_name, last_seq), True, False, kept.last)
        resync = plan
    page, has_more = messages_before(room_name, None, limit=page_size)
    return Backlog(page, False, has_more, kept.last, resync)
