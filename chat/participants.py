"""Who is speaking: a signed-in user under their username, or a guest under a chosen name."""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

DEFAULT_GUEST_NAME = "Guest"


@dataclass(frozen=True)
class Participant:
    """One person in a room, however many tabs they have open."""

    key: str
    name: str
    guest: bool
    user_id: int | None = None

    def as_payload(self) -> dict[str, Any]:
        return {"key": self.key, "name": self.name, "guest": self.guest}


def participant_for(
    user: AbstractBaseUser | AnonymousUser | None,
    *,
    guest_id: str | None,
    guest_name: str | None,
    connection: str,
) -> Participant:
    """
    The participant behind a connection.

    A signed-in user is their username and cannot be spoofed. A guest is
    identified by the browser session (so two tabs count once) or, for a
    client without a session, by the connection itself.
    """
    if user is not None and user.is_authenticated:
        return Participant(
            key=f"user:{user.pk}", name=user.get_username(), guest=False, user_id=int(user.pk)
        )
    anchor = guest_id or connection
    digest = hashlib.sha256(anchor.encode()).hexdigest()[:16]
    return Participant(key=f"guest:{digest}", name=guest_name or DEFAULT_GUEST_NAME, guest=True)
