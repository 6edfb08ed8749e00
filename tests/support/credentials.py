"""Handshake headers of the ways a client proves who it is."""

from django.contrib.auth.models import User
from django.test import Client


def session_headers(user: User) -> list[tuple[bytes, bytes]]:
    """Handshake headers of a browser signed in as `user`."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    return [(b"cookie", f"sessionid={cookie}".encode())]


def token_headers(user: User) -> list[tuple[bytes, bytes]]:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=user)
    return [(b"authorization", f"Token {token.key}".encode())]


def guest_headers(guest_id: str = "guest-browser") -> list[tuple[bytes, bytes]]:
    """Handshake headers of an anonymous browser whose session carries a guest id."""
    from django.contrib.sessions.backends.db import SessionStore

    from core.guests import GUEST_SESSION_KEY

    session = SessionStore()
    session[GUEST_SESSION_KEY] = guest_id
    session.save()
    return [(b"cookie", f"sessionid={session.session_key}".encode())]
