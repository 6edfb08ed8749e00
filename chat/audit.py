"""The moderation audit: every moderation action, recorded in its own transaction."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from chat.models import ModerationAction, Room


def record(
    kind: ModerationAction.Kind,
    *,
    actor: AbstractBaseUser | AnonymousUser,
    room: Room,
    subject: AbstractBaseUser | None = None,
    subject_name: str = "",
    seq: int | None = None,
    detail: str = "",
) -> ModerationAction:
    """
    Record what `actor` did in `room`, to `subject` or to message `seq`.
    Called inside the action's transaction: if the action rolls back, so
    does its record, and an action is never done without one.
    """
    assert transaction.get_connection().in_atomic_block, "an audit goes with its action"
    assert actor.is_authenticated, "only a signed-in user moderates"
    return ModerationAction.objects.create(
        kind=kind,
        actor_id=actor.pk,
        actor_name=actor.get_username(),
        room=room,
        room_name=room.name,
        subject_id=None if subject is None else subject.pk,
        subject_name=subject.get_username() if subject is not None else subject_name,
        seq=seq,
        detail=detail[:500],
    )
