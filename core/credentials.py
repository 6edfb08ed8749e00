"""
Open sockets end with the credentials they were opened with.

A WebSocket outlives the request that authenticated it, so logging out,
revoking an API token or deactivating a user must reach the sockets already
open. Every signed-in socket joins its user's group, and the group of the
session or token it authenticated with (see core.consumers.SiteConsumer).
When one of those ends, `credentials.ended` goes to the matching group after
the change commits, on every server process, and each socket in it closes
with 4401.
"""

import hashlib
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from rest_framework.authtoken.models import Token

from core.groups import session_group, token_group, user_group

CREDENTIALS_ENDED = "credentials.ended"
CLOSE_SIGNED_OUT = 4401


def end_sockets(group: str, reason: str) -> None:
    """Close every socket in `group` once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, {"type": CREDENTIALS_ENDED, "reason": reason})

    transaction.on_commit(send)


@dataclass(frozen=True)
class SignedIn:
    """What a signed-in socket authenticated with: an account, and a session or a token."""

    user_id: int
    session_key: str | None = None
    token_key: str | None = None

    def groups(self) -> list[str]:
        """The groups that hear when these credentials end."""
        groups = [user_group(self.user_id)]
        if self.token_key:
            groups.append(token_group(fingerprint(self.token_key)))
        elif self.session_key:
            groups.append(session_group(fingerprint(self.session_key)))
        return groups

    def still_valid(self) -> bool:
        """Whether the account is active and the token or session still its own (blocking)."""
        if not get_user_model().objects.filter(pk=self.user_id, is_active=True).exists():
            return False
        if self.token_key:
            return Token.objects.filter(key=self.token_key, user_id=self.user_id).exists()
        if self.session_key:
            store = import_module(settings.SESSION_ENGINE).SessionStore(self.session_key)
            return bool(store.get(SESSION_KEY) == str(self.user_id))
        return True


def fingerprint(secret: str) -> str:
    """A stable name for a session key or token that does not reveal it."""
    return hashlib.sha256(secret.encode()).hexdigest()[:40]


@receiver(user_logged_out)
def logged_out(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Sent before the session is flushed, so its key is still known."""
    session_key = request.session.session_key
    if session_key:
        end_sockets(session_group(fingerprint(session_key)), "You logged out.")


@receiver(post_save, sender=get_user_model())
def user_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    if not instance.is_active:
        end_sockets(user_group(instance.pk), "This account is deactivated.")


@receiver(post_delete, sender=get_user_model())
def user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    end_sockets(user_group(instance.pk), "This account no longer exists.")


@receiver(post_delete, sender=Token)
def token_deleted(sender: Any, instance: Token, **kwargs: Any) -> None:
    end_sockets(token_group(fingerprint(instance.key)), "This API token was revoked.")
