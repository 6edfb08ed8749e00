"""Anonymous visitors: one stable id per browser session, shared by every tab."""

import uuid
from typing import Any

from django.http import HttpRequest

GUEST_SESSION_KEY = "guest_id"


def ensure_guest_id(request: HttpRequest) -> str:
    """Give an anonymous visitor's session a guest id (which also sets the session cookie)."""
    guest_id: str = request.session.setdefault(GUEST_SESSION_KEY, uuid.uuid4().hex)
    return guest_id


def guest_id_from_scope(scope: dict[str, Any] | Any) -> str | None:
    """The guest id of a WebSocket's session, if the browser has one."""
    session = scope.get("session")
    return session.get(GUEST_SESSION_KEY) if session is not None else None
