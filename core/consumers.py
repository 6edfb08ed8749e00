"""The base of every WebSocket endpoint."""

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from functools import cached_property, partial
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from chanx.channels.settings import chanx_settings
from chanx.channels.websocket import AsyncJsonWebsocketConsumer
from chanx.messages.outgoing import ErrorMessage
from django.conf import settings
from rest_framework.authtoken.models import Token

from core.authenticators import SiteAuthenticator
from core.credentials import CLOSE_SIGNED_OUT, SignedIn
from core.dispatching import dispatch_in_turn
from core.guests import guest_id_from_scope
from core.immediate import IMMEDIATE_SEND, ImmediateSend
from core.layers import PubSubChannelLayer, receiver
from core.ratelimit import CLOSE_RATE_LIMITED, FrameRateLimiter, Limits

CLOSE_INTERNAL_ERROR = 1011
# The same, where the server cannot send 1011 (see close_as_failed).
CLOSE_INTERNAL_ERROR_FALLBACK = 4011
CLOSE_IDLE = 4408
logger = logging.getLogger("relay.consumers")


class SiteConsumer(AsyncJsonWebsocketConsumer):
    """
    A socket that ends with the credentials it was opened with: logging out,
    a revoked token or a deactivated account closes it with 4401 (see
    core.credentials). Every frame passes the rate limits first (see
    core.ratelimit); at most WEBSOCKET_MAX_IN_FLIGHT frames are handled at
    once, and further ones wait unread, so a client that floods without
    reading holds a bounded amount of memory. A socket silent for
    WEBSOCKET_IDLE_TIMEOUT seconds is closed with 4408. Where the server
    offers core.immediate's extension, a subclass may handle group events
    as the channel layer receives them (`handle_now`). Subclasses that
    override `post_authentication` call this one first; those that override
    `receive` call `admitted()` first.
    """

    authenticator_class = SiteAuthenticator
    # chanx reads these from its settings for every frame, unless the class
    # has them: frames keep their snake_case names, and completion frames
    # follow CHANX["SEND_COMPLETION"] as it is when the consumers load.
    camelize = False
    send_completion: bool = chanx_settings.SEND_COMPLETION
    watches: tuple[asyncio.Task[None], ...] = ()
    handed_over = False
    turn: asyncio.Lock  # held while a message is handled (see dispatch_in_turn)
    immediate: ImmediateSend | None = None  # the server's, if it offers one (see take_now)
    context: contextvars.Context

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """
        A consumer that fails (its channel layer unreachable, say) closes its
        socket with 1011 rather than leaving it open and deaf: the client
        reconnects and resumes.
        """
        try:
            await self.serve(scope, receive, send)
        except Exception:
            logger.exception("Consumer at %s failed; closing with 1011", scope.get("path"))
            with suppress(Exception):
                await close_as_failed(lambda code: send({"type": "websocket.close", "code": code}))

    async def serve(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' AsyncConsumer.__call__, taking messages in with `dispatch_in_turn`."""
        self.scope = scope
        self.base_send = partial(self.send_while_connected, send)
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.turn = asyncio.Lock()
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = receiver(self.channel_layer, self.channel_name)
            sources.append(self.channel_receive)
        self.immediate = scope.get("extensions", {}).get(IMMEDIATE_SEND)
        self.context = contextvars.copy_context()
        takes = (
            self.immediate is not None
            and isinstance(self.channel_layer, PubSubChannelLayer)
            and type(self).handle_now is not SiteConsumer.handle_now
        )
        if takes:
            self.channel_layer.take_immediately(self.channel_name, self.take_now)
        try:
            await dispatch_in_turn(sources, self.dispatch, self.turn)
        finally:
            if takes:
                self.channel_layer.stop_taking(self.channel_name)

    def take_now(self, event: dict[str, Any]) -> bool:
        """
        A group event as the channel layer receives it, before it is queued
        (see PubSubChannelLayer.take_immediately): handled here and now,
        in the layer's task, when this consumer is between messages and its
        socket takes a frame without waiting; otherwise queued as usual.
        """
        if self.turn.locked() or self.immediate is None or not self.immediate.ready():
            return False
        # In this consumer's context, not the layer task's: a task it starts
        # (a gap fill) must not log as the connection that started the layer's.
        return self.context.run(self.handle_now, event, self.immediate)

    def handle_now(self, event: dict[str, Any], immediate: ImmediateSend) -> bool:
        """
        Subclasses handle the group events they can without awaiting
        anything, sending with `immediate.send_text`; True if handled.
        """
        return False

    async def send_while_connected(self, send: Any, message: Any) -> None:
        """
        Every message this consumer sends. A text frame goes out through the
        server's immediate send while the socket takes it at once (see
        core.immediate): ASGI's way, through each `send` wrapper and the
        server's own checks, costs several times the write itself. A
        task's frames keep their order either way (it sends the next once
        the last is out); different tasks' frames never had one.

        A socket whose client has gone cannot be sent to: the server raises
        an OSError (uvicorn's ClientDisconnected), typically for a broadcast
        that reached this consumer just after its client left. The frame is
        dropped with the connection; the disconnect, already queued for this
        consumer, then ends it as usual (leaving its groups and presence).
        """
        immediate = self.immediate
        if (
            message["type"] == "websocket.send"
            and (text := message.get("text")) is not None
            and immediate is not None
            and immediate.ready()
        ):
            immediate.send_text(text)
            return
        try:
            await send(message)
        except OSError:
            logger.debug(
                "Client at %s is gone; dropped a %s", self.scope.get("path"), message["type"]
            )

    async def dispatch(self, message: Any) -> None:
        """
        Channels' own dispatch first closes stale database connections, a
        hop to the sync thread for every event (each delivery to each
        recipient). Here every query runs through `database_sync_to_async`,
        which closes them around each query already, so events go straight
        to their handlers.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @cached_property
    def rate_limiter(self) -> FrameRateLimiter:
        user = getattr(self.authenticator, "user", None) or self.scope.get("user")
        if user is not None and user.is_authenticated:
            identity: str | None = f"user:{user.pk}"
        else:
            guest = guest_id_from_scope(self.scope)
            identity = f"guest:{guest}" if guest else None
        return FrameRateLimiter(identity, Limits.from_settings())

    last_heard = 0.0  # time.monotonic() of the client's last frame

    @cached_property
    def handler_slots(self) -> asyncio.Semaphore:
        return asyncio.Semaphore(settings.WEBSOCKET_MAX_IN_FLIGHT)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        if not await self.admitted():
            return
        # Waiting here stops this socket's reading: the client's further
        # frames queue in TCP, not in this process.
        await self.handler_slots.acquire()
        self.handed_over = False
        try:
            await super().receive(text_data, bytes_data, **kwargs)
        finally:
            if not self.handed_over:
                self.handler_slots.release()

    def handle_json(self, content: dict[str, Any], **kwargs: Any) -> Coroutine[Any, Any, None]:
        """The coroutine chanx runs as the frame's own task; it gives back the frame's slot."""
        self.handed_over = True
        return self.releasing_slot(super().handle_json(content, **kwargs))

    async def releasing_slot(self, handling: Awaitable[None]) -> None:
        try:
            await handling
        finally:
            self.handler_slots.release()

    async def admitted(self) -> bool:
        """Whether this frame is within the rate limits; if not, the client is told."""
        self.last_heard = time.monotonic()
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
        if settings.WEBSOCKET_IDLE_TIMEOUT:
            self.watches += (asyncio.create_task(self.close_when_idle()),)
        signed_in = self.signed_in_with()
        if signed_in is None:
            return
        for group in signed_in.groups():
            await self.join_group(group)
        # The groups hear of every ending at once; this catches what they
        # cannot (a row deleted without signals, an event the layer dropped).
        self.watches += (asyncio.create_task(self.recheck_credentials(signed_in)),)

    def signed_in_with(self) -> SignedIn | None:
        """The account and the session or token this socket authenticated with, if any."""
        authenticator = self.authenticator
        user = getattr(authenticator, "user", None)
        if user is None or not user.is_authenticated:
            return None
        credential = getattr(getattr(authenticator, "request", None), "auth", None)
        if isinstance(credential, Token):
            return SignedIn(user.pk, token_key=credential.key)
        session_key = getattr(self.scope.get("session"), "session_key", None)
        return SignedIn(user.pk, session_key=session_key)

    async def recheck_credentials(self, signed_in: SignedIn) -> None:
        while True:
            await asyncio.sleep(settings.WEBSOCKET_CREDENTIALS_RECHECK)
            if not await database_sync_to_async(signed_in.still_valid)():
                await self.credentials_ended({"reason": "Your sign-in has ended."})
                return

    async def close_when_idle(self) -> None:
        """
        Sleeps until the socket would have been idle for the timeout, then
        again for as long as frames have moved that moment on: a frame costs
        a timestamp, not a wakeup.
        """
        timeout = settings.WEBSOCKET_IDLE_TIMEOUT
        self.last_heard = time.monotonic()
        while (left := self.last_heard + timeout - time.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left)
        detail = f"Closed after {timeout:g} s without a message from the client."
        await self.send_message(ErrorMessage(payload={"detail": detail, "code": "idle"}))
        await self.close(CLOSE_IDLE, "Idle")

    async def websocket_disconnect(self, message: Any) -> None:
        for watch in self.watches:
            watch.cancel()
        await super().websocket_disconnect(message)

    async def channel_layer_lost(self, event: dict[str, Any]) -> None:
        """
        Channel-layer event (see core.layers): Redis was lost, so events for
        this socket may have been too. The client reconnects and resumes.
        """
        await close_as_failed(self.close)

    async def credentials_ended(self, event: dict[str, Any]) -> None:
        """Channel-layer event: the session, token or account of this socket ended."""
        await self.send_message(ErrorMessage(payload={"detail": event["reason"]}))
        await self.close(CLOSE_SIGNED_OUT, event["reason"])


async def close_as_failed(close: Callable[[int], Awaitable[None]]) -> None:
    """
    Close with 1011, the client's cue to reconnect and resume. daphne's
    WebSocket library (autobahn) sends no close code but 1000 and 3000-4999
    and raises for any other: under `runserver` the close is 4011, which
    clients treat the same.
    """
    try:
        await close(CLOSE_INTERNAL_ERROR)
    except OSError:
        raise  # the client is gone: nothing to close
    except Exception:
        await close(CLOSE_INTERNAL_ERROR_FALLBACK)
