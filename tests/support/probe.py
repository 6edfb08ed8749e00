"""The smallest endpoint on the project's base consumer, for tests of what every endpoint does."""

from channels.auth import AuthMiddlewareStack
from chanx.core.decorators import ws_handler
from chanx.messages.incoming import PingMessage
from chanx.messages.outgoing import PongMessage

from core.consumers import SiteConsumer


class ProbeConsumer(SiteConsumer):
    @ws_handler
    async def handle_ping(self, _message: PingMessage) -> PongMessage:
        return PongMessage()


PROBE = AuthMiddlewareStack(ProbeConsumer.as_asgi())
"""The probe behind the session and user middleware, as config.asgi serves endpoints."""
