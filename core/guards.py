"""The checks every WebSocket passes before it reaches an endpoint."""

from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper, SessionMiddleware

from core.frames import FrameSizeLimit
from core.origins import origin_validator


class ReadOnlySessionMiddleware(SessionMiddleware):
    """
    The browser's session in the scope, for reading. Channels' own middleware
    also wraps the socket's `send`, to save the session should it change,
    a check that then runs for every frame to every client; no WebSocket
    endpoint here changes the session (pages do, over HTTP).
    """

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        session = InstanceSessionWrapper(scope, send)
        await session.resolve_session()
        return await self.inner(session.scope, receive, send)


def session_and_user(application: Any) -> Any:
    """Channels' AuthMiddlewareStack, with the session read-only."""
    return CookieMiddleware(ReadOnlySessionMiddleware(AuthMiddleware(application)))


def guarded(application: Any) -> Any:
    """Origin policy (refused before accept), frame size ceiling, then session and user."""
    return origin_validator(FrameSizeLimit(session_and_user(application)))
