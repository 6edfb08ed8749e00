"""
Moderation: roles in private rooms, mutes, reports to the site's moderators.

Who moderates a room (selectors.may_moderate): the site's moderators (staff,
and users with the `chat.moderate_room` permission) every room, and a
private room's owner and admins theirs. Each action here, like removing a
member or deleting someone else's message (chat.services), is recorded by
chat.audit in its own transaction.
"""

import functools
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chat import audit, notifications, selectors
from chat.models import Membership, Message, ModerationAction, Mute, Report, Room
from chat.services import ChatError, NotAllowed, delete_message

MUTE_MINUTES_MAX = 60 * 24 * 30
REPORT_REASON_MAX = 500


def _room(room_name: str) -> Room:
    room = Room.objects.select_for_update().filter(name=room_name).first()
    if room is None:
        raise ChatError(f"No room named {room_name!r}.")
    return room


def _user(username: str) -> User:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ChatError(f"No user named {username!r}.")
    return user


@transaction.atomic
def set_role(*, room_name: str, actor: User, username: str, role: str) -> None:
    """
    The owner of a private room makes a member an "admin" or a "member"
    again, or hands the room to them ("owner"): the old owner stays, as an
    admin.
    """
    room = _room(room_name)
    if room.kind != Room.Kind.PRIVATE:
        raise ChatError("Only private rooms have roles.")
    if selectors.role_in(room, actor) != "owner":
        raise NotAllowed("Only the room's owner may change roles.")
    user = _user(username)
    membership = Membership.objects.filter(room=room, user=user).first()
    if membership is None:
        raise ChatError(f"{username} is not a member of this room.")
    if user.pk == actor.pk:
        raise ChatError("Hand the room to someone else to change your own role.")
    if role == "owner":
        room.owner = user
        room.save(update_fields=["owner"])
        membership.role = Membership.Role.MEMBER  # an owner's role is the room's owner field
        Membership.objects.filter(room=room, user=actor).update(role=Membership.Role.ADMIN)
    elif role in Membership.Role.values:
        membership.role = role
    else:
        raise ChatError('A role is "owner", "admin" or "member".')
    membership.save(update_fields=["role"])
    audit.record(ModerationAction.Kind.SET_ROLE, actor=actor, room=room, subject=user, detail=role)


@transaction.atomic
def mute(*, room_name: str, actor: User, username: str, minutes: int, reason: str = "") -> datetime:
    """
    Keep `username` from posting, editing and reacting in a room for
    `minutes`; a mute in force is replaced. Returns until when. The user's
    connections hear of it after the commit.
    """
    room = _room(room_name)
    if room.kind == Room.Kind.DIRECT:
        raise ChatError("A direct conversation has no moderators: either person may leave it.")
    if not selectors.may_moderate(room, actor):
        raise NotAllowed("Only the room's moderators may mute people in it.")
    if not 1 <= minutes <= MUTE_MINUTES_MAX:
        raise ChatError(f"A mute lasts from 1 to {MUTE_MINUTES_MAX} minutes.")
    user = _user(username)
    if selectors.may_moderate(room, user):
        raise ChatError(f"{username} moderates this room and cannot be muted in it.")
    until = timezone.now() + timedelta(minutes=minutes)
    reason = reason.strip()[:200]
    Mute.objects.update_or_create(
        room=room, user=user, defaults={"until": until, "reason": reason, "muted_by": actor}
    )
    detail = f"until {until:%Y-%m-%d %H:%M} UTC" + (f": {reason}" if reason else "")
    audit.record(ModerationAction.Kind.MUTE, actor=actor, room=room, subject=user, detail=detail)
    user_id = int(user.pk)
    transaction.on_commit(
        lambda: notifications.mute_changed(room.name, user_id, until, reason), robust=True
    )
    return until


@transaction.atomic
def unmute(*, room_name: str, actor: User, username: str) -> None:
    """Lift a mute before its time."""
    room = _room(room_name)
    if not selectors.may_moderate(room, actor):
        raise NotAllowed("Only the room's moderators may lift a mute.")
    user = _user(username)
    lifted, _ = Mute.objects.filter(room=room, user=user, until__gt=timezone.now()).delete()
    if not lifted:
        raise ChatError(f"{username} is not muted in this room.")
    audit.record(ModerationAction.Kind.UNMUTE, actor=actor, room=room, subject=user)
    user_id = int(user.pk)
    transaction.on_commit(
        lambda: notifications.mute_changed(room.name, user_id, None, ""), robust=True
    )


def report(
    *, room_name: str, user: AbstractBaseUser | AnonymousUser, seq: int, reason: str
) -> tuple[Report, bool]:
    """
    Report someone else's message to the site's moderators (the admin's
    queue). Reporting it again changes nothing. Returns the report and
    whether it is new.
    """
    if not user.is_authenticated:
        raise NotAllowed("Log in to report a message.")
    if not (reason := reason.strip()):
        raise ChatError("Say why you report this message.")
    access = selectors.room_access(room_name, user)
    if not access.allowed:
        raise NotAllowed(access.reason or "You may not read this room.")
    message = (
        Message.objects.filter(room__name=room_name, seq=seq, kind=Message.Kind.MESSAGE)
        .only("id", "author_id", "deleted_at")
        .first()
    )
    if message is None or message.deleted_at is not None:
        raise ChatError(f"This room has no message {seq}.")
    if message.author_id is not None and message.author_id == user.pk:
        raise ChatError("You cannot report your own message.")
    return Report.objects.get_or_create(
        message=message, reporter_id=user.pk, defaults={"reason": reason[:REPORT_REASON_MAX]}
    )


def _announce(change: Message) -> None:
    async_to_sync(notifications.message_changed)(change)


def delete_reported(reports: QuerySet[Report], *, actor: User) -> int:
    """
    Delete the messages of `reports` (each once), as `actor`: tombstones in
    their rooms' streams, broadcast after the commit, and every open report
    of them handled. Returns how many messages were deleted.
    """
    deleted = 0
    targets = reports.values_list("message__room__name", "message__seq").distinct()
    for room_name, seq in targets:
        with transaction.atomic():
            message = Message.objects.filter(room__name=room_name, seq=seq).first()
            if message is None:
                continue
            if message.deleted_at is not None:  # by its author, since it was reported
                message.reports.filter(status=Report.Status.OPEN).update(
                    status=Report.Status.DELETED, handled_by=actor, handled_at=timezone.now()
                )
                continue
            change = delete_message(
                room_name=room_name, user=actor, seq=seq, client_id=f"report-{message.pk}"
            )
            transaction.on_commit(functools.partial(_announce, change), robust=True)
            deleted += 1
    return deleted


@transaction.atomic
def dismiss(reports: QuerySet[Report], *, actor: User) -> int:
    """Close open reports without acting on their messages. Returns how many."""
    dismissed = 0
    for found in reports.filter(status=Report.Status.OPEN).select_related("message__room"):
        room = found.message.room
        if not selectors.may_moderate(room, actor):
            raise NotAllowed(f"You do not moderate {room.name!r}.")
        found.status, found.handled_by, found.handled_at = (
            Report.Status.DISMISSED,
            actor,
            timezone.now(),
        )
        found.save(update_fields=["status", "handled_by", "handled_at"])
        audit.record(
            ModerationAction.Kind.DISMISS_REPORT,
            actor=actor,
            room=room,
            subject_name=found.message.author_name,
            seq=found.message.seq,
            detail=f"reported by {found.reporter}: {found.reason}",
        )
        dismissed += 1
    return dismissed
