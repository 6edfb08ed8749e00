"""The base of every WebSocket endpoint."""

import logging
from contextlib import suppress
from functools import cached_property
from typing import Any

from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.outgoing import ErrorMessage
from rest_framework.authtoken.models import Token

from core.authenticators import SiteAuthenticator
from core.credentials import CLOSE_SIGNED_OUT, fingerprint
from core.groups import session_group, token_group, user_group
from core.guests import guest_id_from_scope
from core.ratelimit import CLOSE_RATE_LIMITED, FrameRateLimiter, Limits

CLOSE_INTERNAL_ERROR = 1011
logger = logging.getLogger("relay.consumers")


class SiteConsumer(AsyncJsonWebsocketConsumer):
    """
    A socket that ends with the credentials it was opened with: logging out,
    a revoked token or a deactivated account closes it with 4401 (see
    core.credentials). Every frame passes the rate limits first (see
    core.ratelimit). Subclasses that override `post_authentication` call
    this one first; those that override `receive` call `admitted()` first.
    """

    authenticator_class = SiteAuthenticator

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """
        A consumer that fails (its channel layer unreachable, say) closes its
        socket with 1011 rather than leaving it open and deaf: the client
        reconnects and resumes.
        """
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            logger.exception("Consumer at %s failed; closing with 1011", scope.get("path"))
            with suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_INTERNAL_ERROR})

    @cached_property
    def rate_limiter(self) -> FrameRateLimiter:
        user = getattr(self.authenticator, "user", None) or self.scope.get("user")
        if user is not None and user.is_authenticated:
            identity: str | None = f"user:{user.pk}"
        else:
            guest = guest_id_from_scope(self.scope)
            identity = f"guest:{guest}" if guest else None
        return FrameRateLimiter(self.channel_name, identity, Limits.from_settings())

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if await self.admitted():
            await super().receive(text_data, bytes_data, **kwargs)

    async def admitted(self) -> bool:
        """Whether this frame is within the rate limits; if not, the client is told."""
        verdict = await self.rate_limiter.admit()
        if verdict.allowed:
            return True
        payload = {
            "detail": "Too many messages: wait before sending more.",
            "code": "rate_limited",
            "retry_after": verdict.retry_after,
        }
        await self.send_message(ErrorMessage(payload=payload))
        if verdict.disconnect:
            await self.close(CLOSE_RATE_LIMITED, "Too many messages")
        return False

    async def post_authentication(self) -> None:
        for group in self.credential_groups():
            await self.join_group(group)

    def credential_groups(self) -> list[str]:
        authenticator = self.authenticator
        user = getattr(authenticator, "user", None)
        if user is None or not user.is_authenticated:
            return []
        request = getattr(authenticator, "request", None)
        credential = getattr(request, "auth", None)
        if isinstance(credential, Token):
            return [user_group(user.pk), token_group(fingerprint(credential.key))]
        session = self.scope.get("session")
        session_key = getattr(session, "session_key", None)
        groups = [user_group(user.pk)]
        if session_key:
            groups.append(session_group(fingerprint(session_key)))
        return groups

    async def credentials_ended(self, event: dict[str, Any]) -> None:
        """Channel-layer event: the session, token or account of this socket ended."""
        await self.send_message(ErrorMessage(payload={"detail": event["reason"]}))
        await self.close(CLOSE_SIGNED_OUT, event["reason"])
