"""Who owns a conversation or a job: a signed-in user, or an anonymous browser session."""

import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q
from django.http import HttpRequest

from core.guests import ensure_guest_id, guest_id_from_scope


@dataclass(frozen=True)
class Owner:
    """Models that belong to an owner have an `owner` foreign key and a `guest_id`."""

    user_id: int | None
    guest_id: str

    def owns(self) -> Q:
        """Filter for the rows this owner owns."""
        if self.user_id is not None:
            return Q(owner_id=self.user_id)
        return Q(owner__isnull=True, guest_id=self.guest_id)

    def fields(self) -> dict[str, Any]:
        """Field values for a row this owner creates."""
        return {"owner_id": self.user_id, "guest_id": "" if self.user_id else self.guest_id}

    @property
    def key(self) -> str:
        """A name safe to show and to use in group names (a guest id is a secret)."""
        if self.user_id is not None:
            return f"user.{self.user_id}"
        return "guest." + hashlib.sha256(self.guest_id.encode()).hexdigest()[:24]


def owner_from_scope(
    user: AbstractBaseUser | AnonymousUser | None, scope: Any, connection: str
) -> Owner:
    """The owner behind a WebSocket: its user, its browser session, or (neither) itself."""
    if user is not None and user.is_authenticated:
        return Owner(user_id=int(user.pk), guest_id="")
    if guest_id := guest_id_from_scope(scope):
        return Owner(user_id=None, guest_id=guest_id)
    # A channel name is as long as the layer's prefix makes it, and it is an
    # address anyone holding it can send to: store a digest instead.
    digest = hashlib.sha256(connection.encode()).hexdigest()[:32]
    return Owner(user_id=None, guest_id=f"connection:{digest}")


def owner_from_request(request: HttpRequest) -> Owner:
    """The owner behind a page view; an anonymous visitor gets a guest session here."""
    if request.user.is_authenticated:
        return Owner(user_id=int(request.user.pk), guest_id="")
    return Owner(user_id=None, guest_id=ensure_guest_id(request))
